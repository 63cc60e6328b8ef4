# State moves for refactorings, so `terraform apply` renames instead of destroying and recreating.
# A move whose source is not in the state (a new deployment) is skipped. Keep them until every
# deployment's state has been applied past the move; then they may go.

# The receipts and reports buckets became one set of resources keyed by bucket (s3.tf).

moved {
  from = aws_s3_bucket.receipts
  to   = aws_s3_bucket.private["receipts"]
}

moved {
  from = aws_s3_bucket_public_access_block.receipts
  to   = aws_s3_bucket_public_access_block.private["receipts"]
}

moved {
  from = aws_s3_bucket_ownership_controls.receipts
  to   = aws_s3_bucket_ownership_controls.private["receipts"]
}

moved {
  from = aws_s3_bucket_versioning.receipts
  to   = aws_s3_bucket_versioning.private["receipts"]
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.receipts
  to   = aws_s3_bucket_server_side_encryption_configuration.private["receipts"]
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.receipts
  to   = aws_s3_bucket_lifecycle_configuration.private["receipts"]
}

moved {
  from = aws_s3_bucket_policy.receipts
  to   = aws_s3_bucket_policy.private["receipts"]
}

moved {
  from = aws_s3_bucket.reports
  to   = aws_s3_bucket.private["reports"]
}

moved {
  from = aws_s3_bucket_public_access_block.reports
  to   = aws_s3_bucket_public_access_block.private["reports"]
}

moved {
  from = aws_s3_bucket_ownership_controls.reports
  to   = aws_s3_bucket_ownership_controls.private["reports"]
}

moved {
  from = aws_s3_bucket_versioning.reports
  to   = aws_s3_bucket_versioning.private["reports"]
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.reports
  to   = aws_s3_bucket_server_side_encryption_configuration.private["reports"]
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.reports
  to   = aws_s3_bucket_lifecycle_configuration.private["reports"]
}

moved {
  from = aws_s3_bucket_policy.reports
  to   = aws_s3_bucket_policy.private["reports"]
}
