"""``plan_routes(document) -> plan``: the route planner's one entry (contracts/routing.md).

Raises ``transport.problem.BadRoutingProblem`` (a 422 ``InvalidInput`` with ``fields``: path → why) for a
document that breaks the contract.
"""
from __future__ import annotations

import time

from transport.plan import build_plan
from transport.problem import BadRoutingProblem, parse_problem
from transport.solver import solve_problem

__all__ = ["BadRoutingProblem", "plan_routes"]


def plan_routes(document: dict) -> dict:
    """Solve a routing-problem/1 document and return its routing-plan/1 document."""
    started = time.perf_counter()
    problem = parse_problem(document)
    solution = solve_problem(problem, time_limit=max(0.1, problem.time_limit_seconds - 0.2))
    return build_plan(problem, solution.routes, solution.unserved, time.perf_counter() - started, solution.optimal)
