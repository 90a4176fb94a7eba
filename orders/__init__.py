"""Transfer orders (调拨单): an approved plan becomes one order per (source depot, destination site), picked,
shipped and received by scan (models, the rules in plain Python in rules, the use cases in services, the JSON
API in api, the read-only page in views, messages in vocab). Imports inventory, accounts and dispatch; none of
them imports it."""
