"""Dispatch: incidents, needs, allocation plans and transfer orders."""
