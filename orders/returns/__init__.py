"""Returns (回收) of durable equipment after an incident: what the incident's orders left at its sites and has
not come back (still out), returns received by scan into a depot and inspected (restocked, or damaged and
written off through ``inventory.writeoffs``), and units a dispatcher declares will not come back.

``rules`` holds the arithmetic in plain Python, ``service`` the use cases (one transaction each), ``api`` the
JSON API, ``views`` the page /incidents/<id>/returns, ``vocab`` the messages. Tables: ``orders.models``."""
