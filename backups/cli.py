"""``flask --app app backup FILE`` (also ``backup write FILE``), ``backup verify FILE`` and
``restore FILE``. Exit codes: 0 done, 1 a backup that does not verify (or cannot be written), 2 a restore
refused (the database is not empty, or the file is not a backup of this kind)."""
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from backups import archive


class _WriteByDefault(AppGroup):
    """``backup FILE`` is ``backup write FILE``: a first argument that is not a subcommand names the file."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["write", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_WriteByDefault)
def backup():
    """Back up the database while it is in use (FILE), or verify a backup (verify FILE)."""


@backup.command("write")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_write(file):
    """Write a consistent backup of the database to FILE (a .tar.gz with its manifest)."""
    from common.clock import now

    try:
        manifest = archive.backup(current_app.extensions["engine"], current_app.config["DATABASE_URL"], file, now())
    except archive.BackupError as e:
        raise click.ClickException(str(e))
    rows = sum(manifest["row_counts"].values())
    click.echo(f"backup written to {file}: {len(manifest['row_counts'])} tables, {rows} rows, "
               f"{manifest['ledger']['lines']} ledger lines, seal {manifest['ledger']['seal']}")


@backup.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_verify(file):
    """Restore FILE into a scratch database and check every hash chain, the seal and the row counts."""
    from inventory import ledger_keys

    try:
        result = archive.verify(file, current_app.config["DATABASE_URL"],
                                ledger_keys.of(current_app.extensions["engine"]))
    except archive.BackupError as e:
        click.echo(f"CANNOT VERIFY: {e}", err=True)
        sys.exit(1)
    m = result["manifest"]
    if result["ok"]:
        click.echo(f"OK: {file} (taken {m['created_at']}) restores; {result['lines_checked']} ledger lines match "
                   f"their chains, the seal {m['ledger']['seal']} and the row counts of "
                   f"{len(m['row_counts'])} tables match its manifest.")
        return
    for problem in result["problems"]:
        click.echo(f"PROBLEM: {problem}", err=True)
    click.echo(f"BACKUP DOES NOT VERIFY: {file} ({len(result['problems'])} problems)", err=True)
    sys.exit(1)


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def restore(file):
    """Restore FILE into the (new, empty) database of DATABASE_URL; refuses a database that has tables."""
    url = current_app.config["DATABASE_URL"]
    current_app.extensions["engine"].dispose()
    try:
        manifest = archive.restore(file, url)
    except archive.BackupError as e:
        click.echo(f"REFUSED: {e}", err=True)
        sys.exit(2)
    click.echo(f"restored {file} (taken {manifest['created_at']}, migration {', '.join(manifest['migration_head'])}): "
               f"{sum(manifest['row_counts'].values())} rows, {manifest['ledger']['lines']} ledger lines. Check it "
               "with `flask --app app ledger verify` (with the ledger key file of the old server) and "
               f"`ledger verify --seal {manifest['ledger']['seal']}`.")
