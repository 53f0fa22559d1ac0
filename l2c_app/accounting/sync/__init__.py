"""Pushing l2c's ledger to the client's accounting system (QuickBooks Online; Xero later).

`port.AccountingSystem` is the small interface, `qbo.QuickBooks` its QuickBooks Online
adapter (python-quickbooks + intuit-oauth), `engine.sync_pending` the after-commit pump.
"""
