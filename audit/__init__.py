"""The auditor's side: reports (expiry, rotation, reserve sufficiency, stock cards, the ledger and the
write-off register), their CSV / XLSX / PDF exports, rotation tasks and the ledger-integrity page.

May import inventory and dispatch; neither imports this package.
"""
