"""Registers (物资储备台账) read from the XLSX and CSV files counties keep in Excel or WPS: the reading core.

Plain Python, no Flask and no database. ``reader.read_register(data, filename)`` opens the file (refusing what
is not a readable spreadsheet), finds each sheet's header row by name (``headers``), reads its values
(``values``) and returns plain dataclasses: every accepted row by canonical field, every rejected row with its
sheet, row number (as the spreadsheet shows it), column and reason. ``names.closest`` offers the catalog or
depot names nearest to a name a register writes. The dry run, the commit through the ledger, the command and
the admin page build on this (issue #12).
"""
