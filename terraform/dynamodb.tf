# One table per aggregate, identical to chalicelib/models.py (tests/infra checks keys, indexes,
# streams and TTL against table_schema()). Every table: on-demand, PITR, deletion protection,
# encrypted with the platform key.

# Catalog: one item per product; `by_name` lists and searches it a page at a time.
resource "aws_dynamodb_table" "products" {
  name                        = "${var.name_prefix}-products"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "product_id"
  deletion_protection_enabled = true

  attribute {
    name = "product_id"
    type = "S"
  }

  attribute {
    name = "catalog"
    type = "S"
  }

  attribute {
    name = "name_key"
    type = "S"
  }

  global_secondary_index {
    name            = "by_name"
    hash_key        = "catalog"
    range_key       = "name_key"
    projection_type = "ALL"
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.this.arn
  }
}

# Stock per (product, warehouse); its stream drives low-stock alerts.
resource "aws_dynamodb_table" "stock" {
  name                        = "${var.name_prefix}-stock"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "product_id"
  range_key                   = "warehouse_id"
  deletion_protection_enabled = true
  stream_enabled              = true
  stream_view_type            = "NEW_AND_OLD_IMAGES"

  attribute {
    name = "product_id"
    type = "S"
  }

  attribute {
    name = "warehouse_id"
    type = "S"
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.this.arn
  }
}

# Audit trail of every stock change.
resource "aws_dynamodb_table" "movements" {
  name                        = "${var.name_prefix}-movements"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "stock_key"
  range_key                   = "movement_id"
  deletion_protection_enabled = true

  attribute {
    name = "stock_key"
    type = "S"
  }

  attribute {
    name = "movement_id"
    type = "S"
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.this.arn
  }
}

# Warehouses and their coordinates.
resource "aws_dynamodb_table" "warehouses" {
  name                        = "${var.name_prefix}-warehouses"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "warehouse_id"
  deletion_protection_enabled = true

  attribute {
    name = "warehouse_id"
    type = "S"
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.this.arn
  }
}

# Orders; the stream is the outbox for side effects.
resource "aws_dynamodb_table" "orders" {
  name                        = "${var.name_prefix}-orders"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "order_id"
  deletion_protection_enabled = true
  stream_enabled              = true
  stream_view_type            = "NEW_AND_OLD_IMAGES"

  attribute {
    name = "order_id"
    type = "S"
  }

  attribute {
    name = "customer_id"
    type = "S"
  }

  attribute {
    name = "created_at"
    type = "S"
  }

  attribute {
    name = "day_shard"
    type = "S"
  }

  attribute {
    name = "email"
    type = "S"
  }

  global_secondary_index {
    name            = "by_customer"
    hash_key        = "customer_id"
    range_key       = "created_at"
    projection_type = "ALL"
  }

  # "<business day>#<shard>": a day's orders spread over DAY_SHARDS partitions (chalicelib/shop/models.py).
  global_secondary_index {
    name            = "by_day"
    hash_key        = "day_shard"
    range_key       = "created_at"
    projection_type = "ALL"
  }

  # An address's orders for the console (keys only: status changes never write to it).
  global_secondary_index {
    name            = "by_email"
    hash_key        = "email"
    range_key       = "created_at"
    projection_type = "KEYS_ONLY"
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.this.arn
  }
}

# Idempotency records (request keys and Powertools).
resource "aws_dynamodb_table" "idempotency" {
  name                        = "${var.name_prefix}-idempotency"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "id"
  deletion_protection_enabled = true

  attribute {
    name = "id"
    type = "S"
  }

  ttl {
    attribute_name = "expiration"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.this.arn
  }
}

# Sales ledger: one record per order line per sales event (chalicelib/orders/ledger.py). The key
# spreads a day over shards ("<business date>#<shard>"); a day's report is one Query per shard.
resource "aws_dynamodb_table" "sales_ledger" {
  name                        = "${var.name_prefix}-sales-ledger"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "day_shard"
  range_key                   = "entry_id"
  deletion_protection_enabled = true

  attribute {
    name = "day_shard"
    type = "S"
  }

  attribute {
    name = "entry_id"
    type = "S"
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.this.arn
  }
}

# API keys of machine clients: hashes only, never the secret.
resource "aws_dynamodb_table" "api_keys" {
  name                        = "${var.name_prefix}-api-keys"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "key_id"
  deletion_protection_enabled = true

  attribute {
    name = "key_id"
    type = "S"
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.this.arn
  }
}

# The simulated payment gateway's payments and refunds (its own table, as a processor's would be).
resource "aws_dynamodb_table" "payments" {
  name                        = "${var.name_prefix}-payments"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "payment_id"
  deletion_protection_enabled = true

  attribute {
    name = "payment_id"
    type = "S"
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.this.arn
  }
}

# --- the shop (issue 9) ---------------------------------------------------------------------------

# Carts, guest and signed in; expire 30 days after their last change.
resource "aws_dynamodb_table" "carts" {
  name                        = "${var.name_prefix}-carts"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "cart_id"
  deletion_protection_enabled = true

  attribute {
    name = "cart_id"
    type = "S"
  }

  attribute {
    name = "customer_id"
    type = "S"
  }

  attribute {
    name = "updated_at"
    type = "S"
  }

  # A signed-in customer's carts, last changed first (GET /me/cart from any device).
  global_secondary_index {
    name            = "by_customer"
    hash_key        = "customer_id"
    range_key       = "updated_at"
    projection_type = "ALL"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.this.arn
  }
}

# Promo codes with their redemption counter.
resource "aws_dynamodb_table" "promo_codes" {
  name                        = "${var.name_prefix}-promo-codes"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "code"
  deletion_protection_enabled = true

  attribute {
    name = "code"
    type = "S"
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.this.arn
  }
}

# Redemptions of each code per customer (e-mail address), for maxPerCustomer.
resource "aws_dynamodb_table" "promo_redemptions" {
  name                        = "${var.name_prefix}-promo-redemptions"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "code"
  range_key                   = "customer"
  deletion_protection_enabled = true

  attribute {
    name = "code"
    type = "S"
  }

  attribute {
    name = "customer"
    type = "S"
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.this.arn
  }
}

# The admin's delivery costs (SELF_SERVICE, CURBSIDE, IN_DOOR).
resource "aws_dynamodb_table" "delivery_methods" {
  name                        = "${var.name_prefix}-delivery-methods"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "method"
  deletion_protection_enabled = true

  attribute {
    name = "method"
    type = "S"
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.this.arn
  }
}

# Low-stock crossings grouped by digest window (chalicelib/inventory/digests.py): a header per
# window and one item per crossing; kept two weeks.
resource "aws_dynamodb_table" "alert_digests" {
  name                        = "${var.name_prefix}-alert-digests"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "digest_id"
  range_key                   = "entry_id"
  deletion_protection_enabled = true

  attribute {
    name = "digest_id"
    type = "S"
  }

  attribute {
    name = "entry_id"
    type = "S"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.this.arn
  }
}

# --- the back office (issue 11) -------------------------------------------------------------------

# Index of built daily reports (chalicelib/backoffice/models.py ReportRecord): one item per day in
# one partition ("daily"), listed newest first with one Query; the files are in the reports bucket.
resource "aws_dynamodb_table" "reports" {
  name                        = "${var.name_prefix}-reports"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "kind"
  range_key                   = "date"
  deletion_protection_enabled = true

  attribute {
    name = "kind"
    type = "S"
  }

  attribute {
    name = "date"
    type = "S"
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.this.arn
  }
}
