"""``flask --app app export-registers [--template] [--lang zh|en] FILE``: every depot, item, shelter and lot in
stock written to an XLSX workbook in the import's layout (``registers.workbook``), or with ``--template`` the empty
template; edited in Excel or WPS, ``flask --app app import --commit FILE`` applies the changes."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale


@click.command("export-registers")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--template", "empty", is_flag=True, help="Write the empty template instead of the data.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Headers and notes in Chinese or English.")
def export_registers(file, empty, lang):
    """Export all master data and stock (or the empty template) as an XLSX register workbook."""
    from sqlmodel import Session, select

    from inventory.models import Item
    from registers import workbook

    engine = current_app.extensions["engine"]
    with force_locale("en" if lang == "en" else current_app.config["BABEL_DEFAULT_LOCALE"]):
        if empty:
            with Session(engine) as s:
                units = sorted(set(s.exec(select(Item.unit)).all()))
            data = workbook.template(lang, units)
        else:
            data = workbook.export(engine, lang)
    file.write_bytes(data)
    click.echo(f"wrote {file} ({len(data):,} bytes)")
