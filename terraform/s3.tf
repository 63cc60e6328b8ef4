# Private buckets for receipts (PDF) and daily reports. Each: public access blocked, owner
# enforced (no ACLs), versioned, encrypted with the platform key, TLS-only, with lifecycle rules.
# One set of resources for both, keyed by bucket: aws_s3_bucket.private["receipts"], ...

locals {
  private_buckets = {
    receipts = {
      infrequent_access_after_days = 90
      retention_days               = var.receipts_retention_days
    }
    # Reports can be regenerated from the orders table: they go to infrequent access sooner.
    reports = {
      infrequent_access_after_days = 30
      retention_days               = var.reports_retention_days
    }
  }
}

resource "aws_s3_bucket" "private" {
  #checkov:skip=CKV_AWS_144:Single-region app; versioning and the lifecycle rules cover recovery (reports can be regenerated from the orders table), cross-region replication is not wanted.
  #checkov:skip=CKV_AWS_18:Access to receipts and reports is through the app (presigned URLs, CloudTrail); a log bucket would need its own log bucket.
  #checkov:skip=CKV2_AWS_62:Nothing consumes bucket events; receipts and reports are written and indexed by the app that knows about them.
  for_each = local.private_buckets

  bucket_prefix = "${var.name_prefix}-${each.key}-"
}

resource "aws_s3_bucket_public_access_block" "private" {
  for_each = local.private_buckets

  bucket                  = aws_s3_bucket.private[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "private" {
  for_each = local.private_buckets

  bucket = aws_s3_bucket.private[each.key].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "private" {
  for_each = local.private_buckets

  bucket = aws_s3_bucket.private[each.key].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "private" {
  for_each = local.private_buckets

  bucket = aws_s3_bucket.private[each.key].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "private" {
  for_each = local.private_buckets

  bucket = aws_s3_bucket.private[each.key].id

  rule {
    id     = each.key
    status = "Enabled"
    filter {}

    transition {
      days          = each.value.infrequent_access_after_days
      storage_class = "STANDARD_IA"
    }
    expiration {
      days = each.value.retention_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_policy" "private" {
  for_each = local.private_buckets

  bucket     = aws_s3_bucket.private[each.key].id
  policy     = data.aws_iam_policy_document.private_bucket[each.key].json
  depends_on = [aws_s3_bucket_public_access_block.private]
}

data "aws_iam_policy_document" "private_bucket" {
  for_each = local.private_buckets

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.private[each.key].arn, "${aws_s3_bucket.private[each.key].arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}
