"""Command line: `flask --app app db upgrade`, `user create`, `user token`."""
import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from common.errors import DomainError


def register(app: Flask) -> None:
    app.cli.add_command(db)
    app.cli.add_command(user)


def _engine():
    return current_app.extensions["engine"]


@click.group(cls=AppGroup)
def db():
    """Database schema."""


@db.command("upgrade")
def db_upgrade():
    """Apply every migration (creates the database when missing)."""
    from common.migrate import upgrade

    upgrade(current_app.config["DATABASE_URL"])
    click.echo("database is at the latest migration")


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
    from accounts.services import add_user
    from common.db import UnitOfWork

    try:
        with UnitOfWork(_engine()) as uow:
            add_user(uow, username, password, role, display_name=display_name, depots=list(depots))
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
