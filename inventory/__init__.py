"""Depots, items, lots and the stock ledger. Never imports dispatch."""
