"""Registers (物资储备台账) read from the XLSX and CSV files counties keep in Excel or WPS, and imported.

The reading core is plain Python, no Flask and no database. ``reader.read_register(data, filename)`` opens the
file (refusing what is not a readable spreadsheet), finds each sheet's header row by name (``headers``), reads
its values (``values``) and returns plain dataclasses: every accepted row by canonical field, every rejected row
with its sheet, row number (as the spreadsheet shows it), column and reason. ``names.closest`` offers the catalog
or depot names nearest to a name a register writes. ``importing`` checks the rows against the database (the dry
run) and commits them through the ledger; ``cli`` is ``flask --app app import``. ``aliases``
remembers the names an administrator matched by hand (read by every dry run and commit); ``jobs`` and ``views``
are the administrators' import page (upload, dry run in the background with progress, report, commit).
``master`` adds shelter sheets, edits of what a row finds by code and lots named by code; ``workbook`` writes the
template and the export (one layout the import reads back: the round trip), served by ``downloads`` (admin URLs)
and ``export_cli`` (``flask --app app export-registers``).
"""
