"""``flask --app app plan-routes PROBLEM.json [-o PLAN.json]``: solve a routing problem file, print the plan."""
from __future__ import annotations

import json
from pathlib import Path

import click

from transport.planner import BadRoutingProblem, plan_routes


def _fail(lines: list[str], code: int = 2) -> None:
    for line in lines:
        click.echo(line, err=True)
    raise click.exceptions.Exit(code)


@click.command("plan-routes")
@click.argument("problem", type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the plan to this file.")
def plan_routes_command(problem: str, output: Path | None) -> None:
    """Plan routes for PROBLEM (a routing-problem/1 JSON file, '-' for stdin) and print the plan.

    Exits 2 with every broken rule on stderr when the file cannot be read or is not a valid problem.
    """
    name = "stdin" if problem == "-" else problem
    try:
        raw = click.get_binary_stream("stdin").read() if problem == "-" else Path(problem).read_bytes()
    except OSError as exc:
        _fail([f"Error: cannot read {name}: {exc.strerror or exc}."])
    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        _fail([f"Error: {name} is not UTF-8 text: {exc.reason} at byte {exc.start}."])
    except json.JSONDecodeError as exc:
        _fail([f"Error: {name} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."])
    except RecursionError:
        _fail([f"Error: {name} is nested too deeply to be a routing problem."])
    try:
        plan = plan_routes(doc)
    except BadRoutingProblem as exc:
        header = f"Error: {name} is not a valid routing problem ({len(exc.errors)} error(s)):"
        _fail([header] + [f"  {e['path']}: {e['message']}" for e in exc.errors])
    text = json.dumps(plan, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            _fail([f"Error: cannot write {output}: {exc.strerror or exc}."], code=1)
        click.echo(f"Plan written to {output}", err=True)
