"""``flask --app app allocate PROBLEM.json`` (solve a problem file, print the plan) and ``demo``."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from common import clock

from dispatch import allocator


def _fail(lines: list[str], code: int = 2) -> None:
    for line in lines:
        click.echo(line, err=True)
    raise click.exceptions.Exit(code)


@click.command("allocate")
@click.argument("problem", type=click.File("r", encoding="utf-8"))
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the plan to this file."
)
def allocate(problem, output: Path | None) -> None:
    """Solve PROBLEM (an allocation-problem/1 JSON file, '-' for stdin) and print the plan.

    Exits 2 with the list of broken rules when the document is not a valid problem.
    """
    name = "stdin" if problem.name in ("-", "<stdin>") else problem.name
    try:
        doc = json.load(problem)
    except json.JSONDecodeError as exc:
        _fail([f"Error: {name} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."])
    except UnicodeDecodeError as exc:
        _fail([f"Error: {name} is not UTF-8 text: {exc.reason} at byte {exc.start}."])
    try:
        plan = allocator.allocate(doc)
    except allocator.ProblemError as exc:
        header = f"Error: {name} is not a valid allocation problem ({len(exc.errors)} error(s)):"
        _fail([header] + [f"  {e['path']}: {e['message']}" for e in exc.errors])
    except allocator.SolveError as exc:
        _fail([f"Error: the solver failed: {exc}"], code=1)
    text = json.dumps(plan, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Plan written to {output}", err=True)


@click.command()
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Load only when the database has no depots (make run).")
def demo(if_empty):
    """Load the demo county (1 county depot, 20 towns, 305 villages, 45 items, ~90,000 units)."""
    from common.db import UnitOfWork
    from dispatch.demo import load_dispatch_demo_in
    from inventory.demo import DEMO_USERS, is_empty, load_demo_in, summary

    if not is_empty(current_app.extensions["engine"]):
        if if_empty:
            click.echo("database already holds depots; demo not loaded")
            return
        raise click.ClickException("the database already holds depots; load the demo into an empty database")
    today = clock.local_today(clock.now(), current_app.config["TIMEZONE"])
    click.echo("载入演示县 loading the demo county …")
    engine = current_app.extensions["engine"]
    with UnitOfWork(engine) as uow:  # all of it or nothing: a failed load leaves the database empty
        load_demo_in(uow, today)
        load_dispatch_demo_in(uow)
        from transport.demo import load_vehicles_in  # the CLI gathers every package's demo; dispatch never does

        load_vehicles_in(uow, clock.now())
        uow.commit()
    totals = summary(engine)
    click.echo(f"{totals['depots']} depots, {totals['items']} items, {totals['lots']} lots, {totals['units']} units")
    for username, password, role, kept in DEMO_USERS:
        click.echo(f"  {role:<10} {username:<10} {password}" + (f"  keeps {', '.join(kept)}" if kept else ""))
