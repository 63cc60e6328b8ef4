"""Stockroom's application code, packaged into every Lambda.

One package per capability, with a dependency direction a reader can see (and
`tests/unit/test_layering.py` enforces):

    backoffice  ->  orders  ->  shop  ->  inventory  ->  core

- `core/`        config, errors, HTTP input, validation, auth, observability, DynamoDB plumbing,
                 the resource definitions, the SES/SNS adapters; imports no capability.
- `inventory/`   catalog, stock and its ledger, warehouses, thresholds, low-stock alerts.
- `shop/`        customers, carts, promo codes, pricing, allocation, checkout, the order record.
- `orders/`      what follows placement: the order state machine, workflow tasks, payments,
                 receipts, domain events, cancel / ship.
- `backoffice/`  reports, reorder suggestions, CSV import/export, API keys.
- `tables.py`    the registry of every table (all capabilities' models): used by the devstack, the
                 tests and the Terraform checks, never by a Lambda handler.

A capability imports only packages to its right. `app.py` (the switchboard) may import any.
"""
