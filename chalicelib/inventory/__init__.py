"""Inventory: the catalog, stock per warehouse and its movement ledger, warehouses, the
low-stock rule and its alerts. May import `core` only."""
