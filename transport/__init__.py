"""Transport: vehicles, loads and routes.

The route planner (routing-problem/1 → routing-plan/1, see contracts/routing.md), pure Python like the allocator
in dispatch/: no Flask, no database. ``problem`` reads and checks a problem document, ``solver`` solves it with
PyVRP, ``plan`` writes and checks the plan document, ``planner.plan_routes`` is the one entry the rest of the app
calls; ``cli`` and ``api`` are the edges.

The fleet and an incident's routes: the fleet register (``fleet``: own vehicles, partners' vehicles under
agreement — 协议运力 — and requisitioned ones — 征用 — with their compensation), vehicles called in for an
incident, the truckloads of an incident's approved orders (``loads``, plain Python), the routing-problem/1
document built from them (``routing``, plain Python), ``incident_routes`` (reads the database, plans with
``plan_routes``, stores the plan; moves, locks, a vehicle out), ``routes_view`` (what the map draws),
``fleet_api`` and ``views`` the edges. Imports common, accounts, inventory, dispatch and orders; none of them
imports it (the waybill reads the vehicle through ``orders.waybill.vehicle_readers``).
"""
