"""Transport: vehicles, loads and routes. The fleet register (``fleet``: own vehicles, partners' vehicles under
agreement — 协议运力 — and requisitioned ones — 征用 — with their compensation), vehicles called in for an incident,
the truckloads of an incident's approved orders (``loads``, plain Python), the routing-problem/1 document built
from them (``routing``, plain Python; ``incident_routes`` reads the database and stores the plan) and the read
function the map uses (``routes_view``). Imports common, accounts, inventory, dispatch and orders; none of them
imports it (the waybill reads the vehicle through ``orders.waybill.vehicle_readers``)."""
