"""Command line: `flask --app app security-log verify` and `security-log prune`."""
import click
from flask import current_app
from flask.cli import AppGroup

from common import clock


@click.group("security-log", cls=AppGroup)
def security_log():
    """The security audit trail (安全审计)."""


@security_log.command("verify")
def verify():
    """Check every entry of the security log against its hash chain; exits 1 naming each entry that does not match."""
    from accounts.security import verify as check

    result = check(current_app.extensions["engine"])
    for p in result["problems"]:
        click.echo(f"entry {p['id']}: {p['problem']}", err=True)
    if not result["ok"]:
        raise click.ClickException(f"the security log does not match its chain ({len(result['problems'])} problems "
                                   f"in {result['checked']} entries)")
    click.echo(f"安全日志完好 the security log matches its chain: {result['checked']} entries")


@security_log.command("prune")
@click.option("--keep-days", type=int, default=None,
              help="Keep this many days (default SECURITY_LOG_KEEP_DAYS; never fewer than 180).")
def prune(keep_days):
    """Remove the entries older than the kept days, leaving an anchor entry so that the chain still verifies."""
    from accounts.security import prune as remove

    days = keep_days if keep_days is not None else current_app.config["SECURITY_LOG_KEEP_DAYS"]
    if days < 180:
        raise click.ClickException("the security log is kept at least 180 days")
    n = remove(current_app.extensions["engine"], days, clock.now())
    click.echo(f"removed {n} entries older than {days} days")
