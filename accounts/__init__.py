"""People, roles, depot bindings and API tokens."""
