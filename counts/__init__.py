"""Count sessions (盘点单): a count of a depot, of a category or of shelves, counted lot by lot, signed by
the keeper and closed by a supervisor, when the adjustments enter the ledger all at once (models, the
rules in plain Python in rules, the use cases in services, the JSON API in api, the pages in views,
the variance sheet as PDF in documents). Imports inventory and accounts, never dispatch or audit."""
