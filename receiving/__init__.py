"""Receiving new deliveries (入库验收): a receipt document whose lines each become a lot through the ledger."""
