"""``flask --app app import [--commit] [--json] [--depot NAME_OR_CODE] [--user ADMIN] FILE…``: a register's dry run,
or its commit (``registers.importing``). A progress bar on stderr; ``--json`` prints the report on stdout as
``{"files": [{"file", "sheets": [{"sheet", "kind", "accepted", "units", "rejected": [{"row", "column",
"reason"}]}]}]}``. Exit 0 when every file was read (rejected rows or not), 2 with a message when one cannot be
read at all (nothing is written then)."""
import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from common.errors import DomainError


def _reason(rejection: dict) -> str:
    from registers.vocab import ERROR_MESSAGES

    from inventory.vocab import TIERS

    params = {k: (str(TIERS[v]) if k == "tier" and v in TIERS else v) for k, v in rejection["params"].items()
              if isinstance(v, (str, int, float))}  # the tier as its name in the report's language
    return str(ERROR_MESSAGES[rejection["code"]]) % params if params else str(ERROR_MESSAGES[rejection["code"]])


def _short(full: dict) -> dict:
    return {"files": [{"file": f["file"], "sheets": [
        {"sheet": sh["sheet"], "kind": sh["kind"], "accepted": sh["accepted"], "units": sh["units"],
         "rejected": [{"row": r["row"], "column": r["column"], "reason": _reason(r)} for r in sh["rejected"]]}
        for sh in f["sheets"]]} for f in full["files"]]}


def _admin(engine, username: str | None):
    from sqlmodel import Session, select

    from accounts.models import User
    from accounts.services import actor_for

    with Session(engine) as s:
        query = select(User).where(User.role == "admin", User.active.is_(True))
        user = s.exec(query.where(User.username == username) if username else query.order_by(User.id)).first()
        if user is None:
            raise click.ClickException(f"no active administrator {username or ''}".strip())
        return actor_for(s, user)


@click.command("import")
@with_appcontext
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--commit", "do_commit", is_flag=True, help="Write the accepted rows (otherwise a dry run).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
@click.option("--depot", default=None, help="The depot (code or name) of a register with no depot column.")
@click.option("--user", "username", default=None, help="The administrator the import is recorded under "
                                                       "(default: the first active administrator).")
def import_registers(files, do_commit, as_json, depot, username):
    """Import registers (物资储备台账, XLSX or CSV): a dry run unless --commit."""
    from common import clock
    from registers import importing

    engine = current_app.extensions["engine"]
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        contents = [(path.name, path.read_bytes()) for path in files]
        now = clock.now()
        today = clock.local_today(now, current_app.config["TIMEZONE"])
        try:
            if do_commit:
                full = importing.commit(engine, contents, _admin(engine, username), depot, now=now, today=today,
                                        progress=_progress)
            else:
                full = importing.dry_run(engine, contents, depot, today=today, progress=_progress)
        except DomainError as e:
            _refuse(e)
        finally:
            click.echo("", err=True)
        if as_json:
            click.echo(json.dumps(_short(full), ensure_ascii=False))
        else:
            _print(full, do_commit)


def _progress(done: int, total: int) -> None:
    width = 30
    filled = width * done // total if total else width
    click.echo(f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} rows", err=True, nl=False)


def _refuse(e: DomainError):
    from registers.vocab import ERROR_MESSAGES

    code = getattr(e, "message_code", None)
    text = str(ERROR_MESSAGES[code]) % (e.params or {}) if code in ERROR_MESSAGES else e.message
    click.echo(f"error: {text}", err=True)
    sys.exit(2)


def _print(full: dict, committed: bool) -> None:
    for f in full["files"]:
        click.echo(f"{f['file']} ({f['reference']})")
        for sh in f["sheets"]:
            made = sh["creates"]
            verb = "created" if committed else "would create"
            click.echo(f"  {sh['sheet']} [{sh['kind']}]: {sh['accepted']} accepted, {sh['units']} units, "
                       f"{len(sh['rejected'])} rejected; {verb} {len(made['depots'])} depots, {len(made['items'])} "
                       f"items, {len(made['shelters'])} shelters, {len(made['lots'])} lots; "
                       f"{len(sh['changes'])} changed")
            for d in made["depots"]:
                click.echo(f"    + depot {d['code']} {d['name']} ({d['tier']})")
            for i in made["items"]:
                click.echo(f"    + item {i['code']} {i['name']} ({i['unit']})")
            for x in made["shelters"]:
                click.echo(f"    + shelter {x['code']} {x['name']} ({x['town']})")
            for c in sh["changes"]:
                changed = ", ".join(f"{k} → {v}" for k, v in c["changes"].items())
                click.echo(f"    ~ {c['kind']} {c['code']}: {changed}")
            for r in sh["rejected"]:
                click.echo(f"    ! row {r['row'] or '—'} · {r['column'] or '—'} · {_reason(r)}")
    if not committed:
        click.echo("dry run: nothing written (add --commit to import the accepted rows)")
