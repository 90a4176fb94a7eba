"""Transport: the route planner (routing-problem/1 → routing-plan/1, see contracts/routing.md).

Pure Python like the allocator in dispatch/: no Flask, no database. ``problem`` reads and checks a
problem document, ``solver`` solves it with PyVRP, ``plan`` writes and checks the plan document,
``planner.plan_routes`` is the one entry the rest of the app calls; ``cli`` and ``api`` are the edges.
"""
