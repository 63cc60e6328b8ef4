# One customer-managed key for the platform's data at rest: tables, queues, topics, log groups,
# the receipts and reports buckets and the Lambdas' environment. Rotation on.
resource "aws_kms_key" "this" {
  description             = "${var.name_prefix}: data at rest"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms_key_policy.json
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name_prefix}"
  target_key_id = aws_kms_key.this.key_id
}

# In a key policy "*" resources mean "this key"; the services below act for this account only.
data "aws_iam_policy_document" "kms_key_policy" {
  #checkov:skip=CKV_AWS_109:A key policy's Resource "*" is the key itself; the account root statement lets IAM policies grant use.
  #checkov:skip=CKV_AWS_111:A key policy's Resource "*" is the key itself.
  #checkov:skip=CKV_AWS_356:A key policy's Resource "*" is the key itself.
  statement {
    sid       = "AccountRootManagesKey"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchLogsEncrypt"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"]
    }
  }

  # EventBridge delivering the domain bus's events to the encrypted queues (and their DLQs):
  # only for the rules on that bus (sqs.tf's queue policies name the rules one by one).
  statement {
    sid       = "EventRulesDeliverEncrypted"
    actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${var.name_prefix}-domain-events/*"]
    }
  }

  # SNS delivering to the encrypted queues; CloudWatch alarms publishing to the encrypted topics.
  statement {
    sid       = "ServicesDeliverEncrypted"
    actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com", "cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}
