"""Backups (数据备份与恢复): ``flask --app app backup FILE``, ``backup verify FILE`` and ``restore FILE``.

A backup is one gzip'd tar file holding ``manifest.json`` and the database: ``database.sqlite3`` (SQLite's
online backup API: one consistent copy while the system is in use) or ``database.pgdump`` (``pg_dump -Fc``
run on a snapshot exported by the transaction that counted the rows and folded the seal, so the manifest
describes exactly what the dump holds). The manifest names the time, the migration head, every table's row
count, the ledger's last line and hash, its seal (``inventory.chain.Seal`` over every line) and the
fingerprints of the ledger keys the lines are signed with. The ledger key file is NOT in the backup: it
is kept apart from the database on purpose (README, "Ledger integrity") and must be backed up apart.

Above inventory in the layers (it reads every table and uses ``inventory.integrity``); nothing imports it
but the CLI.
"""
