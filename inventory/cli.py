"""Command line: `flask --app app db upgrade`, `user create`, `user token`, `ledger verify`, `ledger seal`,
`ledger rotate-key`."""
import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from common.errors import DomainError


def register(app: Flask) -> None:
    app.cli.add_command(db)
    app.cli.add_command(user)
    app.cli.add_command(ledger)


def _engine():
    return current_app.extensions["engine"]


@click.group(cls=AppGroup)
def db():
    """Database schema."""


@db.command("upgrade")
def db_upgrade():
    """Apply every migration (creates the database when missing)."""
    from common.migrate import upgrade

    from common.clock import now
    from inventory.integrity import record_key

    upgrade(current_app.config["DATABASE_URL"])
    click.echo("database is at the latest migration")
    if record_key(_engine(), "db upgrade", now()):
        click.echo("the ledger key is recorded: lines from now on are signed with it")


@click.group(cls=AppGroup)
def user():
    """Accounts."""


@user.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "dispatcher", "keeper", "auditor"]), required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--depot", "depots", multiple=True, help="Depot code a keeper keeps (repeat for several).")
@click.option("--name", "display_name", default=None)
def user_create(username, role, password, depots, display_name):
    from accounts.passwords import check_password, password_rules
    from accounts.services import add_user
    from common.db import UnitOfWork

    try:
        with UnitOfWork(_engine()) as uow:
            add_user(uow, username, password, role, display_name=display_name, depots=list(depots))
            check_password(password, username, password_rules(current_app.config))  # the rules of every new password
            uow.commit()
    except DomainError as e:
        raise click.ClickException(f"{e.field}: {e.message}" if e.field else e.message)
    click.echo(f"created {role} {username}")


@user.command("token")
@click.argument("username")
@click.option("--name", default="cli", help="What the token is for.")
def user_token(username, name):
    """Print a new API token for USERNAME (shown once)."""
    from sqlmodel import Session, select

    from accounts.models import User
    from accounts.services import issue_token

    with Session(_engine()) as s:
        found = s.exec(select(User).where(User.username == username)).first()
    if found is None:
        raise click.ClickException(f"no user {username}")
    click.echo(issue_token(_engine(), found.id, name))


@click.group(cls=AppGroup)
def ledger():
    """Tamper evidence of the stock ledger."""


@ledger.command("verify")
@click.option("--seal", help="A seal kept earlier (<line id>:<digest>) that the ledger must still match.")
def ledger_verify(seal):
    """Check every ledger line against its hash chain; exits 1 naming the first line that does not match."""
    from inventory.integrity import verify

    with click.progressbar(length=_line_count(), label="核验台账 verifying the ledger") as bar:
        seen = [0]

        def progress(n):
            if n - seen[0] >= 1000:
                bar.update(n - seen[0])
                seen[0] = n

        try:
            result = verify(_engine(), _system_reader(), seal, progress)
        except DomainError as e:
            raise click.ClickException(f"{e.field}: {e.message}")
    for key in result["key_problems"]:
        click.echo(f"KEY {key['key_id']}: {key['problem']}", err=True)
    for seal in result["archived_seal_problems"]:
        click.echo(f"ARCHIVED SEAL #{seal['id']} ({seal['why']}, {seal['created_at']:%Y-%m-%d %H:%M} UTC, "
                   f"up to line {seal['upto']}): {seal['problem']}", err=True)
    if result["ok"]:
        click.echo(f"OK: {result['lines_checked']} lines match their chains and every lot its ledger; "
                   f"{result['archived_seals_checked']} archived seals match.")
        click.echo(f"seal {result['seal']['text']}")
        return
    if result["first_mismatch"]:
        first = result["first_mismatch"]
        where = f"line {first['movement_id']} (lot {first['lot']})" if first["movement_id"] else f"lot {first['lot']}"
        click.echo(f"TAMPERED: first mismatch at {where}: {first['problem']} "
                   f"({result['mismatch_count']} mismatches in all)", err=True)
    if result.get("seal_matches") is False:
        click.echo(f"SEAL MISMATCH: {result['seal_problem']}", err=True)
    raise SystemExit(1)


@ledger.command("seal")
@click.option("--archive", is_flag=True, help="Also keep it in the database's seal archive, signed with the "
                                              "ledger key (run daily from a timer; see README).")
@click.option("--why", type=click.Choice(["daily", "manual"]), default="daily", show_default=True,
              help="Recorded with an archived seal.")
@click.option("--by", "who", default=None, help="Who takes it (recorded; default: the system user).")
def ledger_seal(archive, why, who):
    """Print the current seal: keep it outside the system and check it later with verify --seal."""
    from common.clock import now
    from inventory.integrity import current_seal, take_seal

    if archive:
        seal = take_seal(_engine(), why, who or _os_user(), now())
        click.echo(f"{seal['text']}    ({seal['count']} lines; archived as seal #{seal['id']}, {why})")
        return
    seal = current_seal(_engine(), _system_reader())
    click.echo(f"{seal['text']}    ({seal['count']} lines)")


@ledger.command("rotate-key")
@click.option("--by", "who", default=None, help="Who rotates it (recorded; default: the system user).")
def ledger_rotate_key(who):
    """Add a new ledger key and make it current; the old keys stay in the key file to verify older lines.
    Restart the server afterwards so that it signs with the new key."""
    from pathlib import Path

    from common.clock import now
    from inventory import ledger_keys
    from inventory.integrity import record_key

    path = Path(current_app.config["LEDGER_KEYS"])
    before = path.read_text()
    keyring = ledger_keys.add_key(path)
    ledger_keys.attach(_engine(), keyring)
    try:
        record_key(_engine(), who or _os_user(), now())
    except Exception:
        ledger_keys.restore(path, before)  # unrecorded, the new key would make every later line suspect
        raise
    click.echo(f"new ledger key {keyring.current} (fingerprint {keyring.fingerprint(keyring.current)}) is current; "
               f"{len(keyring.keys)} keys in {path}. Restart the server to sign with it.")


def _os_user() -> str:
    import getpass

    try:
        return f"{getpass.getuser()} (command line)"
    except Exception:  # no user name in this environment
        return "command line"


def _line_count() -> int:
    import sqlalchemy as sa
    from sqlmodel import Session

    from inventory.models import Movement

    with Session(_engine()) as s:
        return s.exec(sa.select(sa.func.count(Movement.id))).scalar_one()


def _system_reader():
    from common.actor import AUDITOR, Actor

    return Actor(user_id=0, username="cli", role=AUDITOR)
