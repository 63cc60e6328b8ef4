"""The registry of every table: each capability's PynamoDB models, in one tuple.

The devstack creates tables from these models, the tests create them in moto the same way, and
the Terraform checks compare `terraform/dynamodb.tf` against `table_schema()` of each model. This
module imports every capability; Lambda handlers never import it (they import the models they use).
"""

from __future__ import annotations

from pynamodb.models import Model

from chalicelib.backoffice.models import ApiKey, ReportRecord
from chalicelib.core.db import create_table, table_schema
from chalicelib.core.idempotency import IdempotencyRecord
from chalicelib.inventory.digests import AlertDigest
from chalicelib.inventory.models import Movement, Product, Stock, Warehouse
from chalicelib.orders.ledger import LedgerRecord
from chalicelib.orders.models import Payment
from chalicelib.shop.models import Cart, DeliveryMethod, Order, PromoCode, PromoRedemption

ALL_MODELS: tuple[type[Model], ...] = (
    Product,
    Stock,
    Movement,
    Warehouse,
    Order,
    IdempotencyRecord,
    Cart,
    PromoCode,
    PromoRedemption,
    DeliveryMethod,
    LedgerRecord,
    ApiKey,
    Payment,
    AlertDigest,
    ReportRecord,
)

__all__ = ["ALL_MODELS", "create_table", "table_schema"]
