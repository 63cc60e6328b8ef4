# Queues from chalicelib/resources.py QUEUES: each `aws_sqs_queue.<key>` has `<key>_dlq`, a
# visibility timeout of 6x its consumer's Lambda timeout, and SSE with the platform key.
# Queues subscribed to topics get an SNS subscription and a queue policy for exactly those topics.

resource "aws_sqs_queue" "alert_emails_dlq" {
  name                      = "${var.name_prefix}-alert-emails-dlq"
  message_retention_seconds = 1209600 # 14 days, the maximum: time to inspect and redrive
  kms_master_key_id         = aws_kms_key.this.arn
}

resource "aws_sqs_queue" "alert_emails" {
  name                       = "${var.name_prefix}-alert-emails"
  visibility_timeout_seconds = 180 # 6 x send_alert_emails' 30 s timeout (resources.Queue.visibility_timeout)
  message_retention_seconds  = 345600
  kms_master_key_id          = aws_kms_key.this.arn

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.alert_emails_dlq.arn
    maxReceiveCount     = 5
  })
}

resource "aws_sqs_queue_redrive_allow_policy" "alert_emails_dlq" {
  queue_url = aws_sqs_queue.alert_emails_dlq.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.alert_emails.arn]
  })
}

resource "aws_sns_topic_subscription" "alert_emails_low_stock" {
  topic_arn = aws_sns_topic.low_stock.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.alert_emails.arn
  # raw_message_delivery stays off: consumers unwrap the SNS envelope (docs/CONTRACTS.md).
}

resource "aws_sqs_queue_policy" "alert_emails" {
  queue_url = aws_sqs_queue.alert_emails.id
  policy    = data.aws_iam_policy_document.alert_emails_queue.json
}

data "aws_iam_policy_document" "alert_emails_queue" {
  statement {
    sid       = "TopicsSendToQueue"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.alert_emails.arn]

    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_sns_topic.low_stock.arn]
    }
  }
}

# On-failure destination of every DynamoDB stream mapping: records that exhausted their retries
# (bisected down to the failing one) land here as metadata, to inspect and replay.
resource "aws_sqs_queue" "stream_failures_dlq" {
  name                      = "${var.name_prefix}-stream-failures-dlq"
  message_retention_seconds = 1209600
  kms_master_key_id         = aws_kms_key.this.arn
}

# --- domain events (issue 10 §4): a queue per consumer of the bus, each with its own DLQ --------
# Each queue is the target of rules on aws_cloudwatch_event_bus.domain (written by `make package`
# from resources.EVENT_BUSES); the queue's DLQ takes both the messages its consumer gave up on
# and the events EventBridge could not deliver. Queue and DLQ policies let events.amazonaws.com
# send only for those rules (aws:SourceArn); kms.tf lets it use the key for the same rules.

resource "aws_sqs_queue" "purchase_emails_dlq" {
  name                      = "${var.name_prefix}-purchase-emails-dlq"
  message_retention_seconds = 1209600
  kms_master_key_id         = aws_kms_key.this.arn
}

# OrderConfirmed events for the admins' purchase e-mail
resource "aws_sqs_queue" "purchase_emails" {
  name                       = "${var.name_prefix}-purchase-emails"
  visibility_timeout_seconds = 180 # 6 x send_purchase_emails' 30 s timeout
  message_retention_seconds  = 345600
  kms_master_key_id          = aws_kms_key.this.arn

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.purchase_emails_dlq.arn
    maxReceiveCount     = 5
  })
}

resource "aws_sqs_queue_redrive_allow_policy" "purchase_emails_dlq" {
  queue_url = aws_sqs_queue.purchase_emails_dlq.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.purchase_emails.arn]
  })
}

resource "aws_sqs_queue_policy" "purchase_emails" {
  queue_url = aws_sqs_queue.purchase_emails.id
  policy    = data.aws_iam_policy_document.purchase_emails_queue.json
}

data "aws_iam_policy_document" "purchase_emails_queue" {
  statement {
    sid       = "EventRulesSendToQueue"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.purchase_emails.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.purchase_emails_on_confirmed.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "purchase_emails_dlq" {
  queue_url = aws_sqs_queue.purchase_emails_dlq.id
  policy    = data.aws_iam_policy_document.purchase_emails_dlq.json
}

data "aws_iam_policy_document" "purchase_emails_dlq" {
  statement {
    sid       = "EventRulesDeadLetter"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.purchase_emails_dlq.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.purchase_emails_on_confirmed.arn]
    }
  }
}

resource "aws_sqs_queue" "ledger_events_dlq" {
  name                      = "${var.name_prefix}-ledger-events-dlq"
  message_retention_seconds = 1209600
  kms_master_key_id         = aws_kms_key.this.arn
}

# sales events for the sales ledger writer
resource "aws_sqs_queue" "ledger_events" {
  name                       = "${var.name_prefix}-ledger-events"
  visibility_timeout_seconds = 180 # 6 x record_sales' 30 s timeout
  message_retention_seconds  = 345600
  kms_master_key_id          = aws_kms_key.this.arn

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.ledger_events_dlq.arn
    maxReceiveCount     = 5
  })
}

resource "aws_sqs_queue_redrive_allow_policy" "ledger_events_dlq" {
  queue_url = aws_sqs_queue.ledger_events_dlq.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.ledger_events.arn]
  })
}

resource "aws_sqs_queue_policy" "ledger_events" {
  queue_url = aws_sqs_queue.ledger_events.id
  policy    = data.aws_iam_policy_document.ledger_events_queue.json
}

data "aws_iam_policy_document" "ledger_events_queue" {
  statement {
    sid       = "EventRulesSendToQueue"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.ledger_events.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.ledger_on_sales_events.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "ledger_events_dlq" {
  queue_url = aws_sqs_queue.ledger_events_dlq.id
  policy    = data.aws_iam_policy_document.ledger_events_dlq.json
}

data "aws_iam_policy_document" "ledger_events_dlq" {
  statement {
    sid       = "EventRulesDeadLetter"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.ledger_events_dlq.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.ledger_on_sales_events.arn]
    }
  }
}

resource "aws_sqs_queue" "order_feed_dlq" {
  name                      = "${var.name_prefix}-order-feed-dlq"
  message_retention_seconds = 1209600
  kms_master_key_id         = aws_kms_key.this.arn
}

# every order event for the order_events topic publisher
resource "aws_sqs_queue" "order_feed" {
  name                       = "${var.name_prefix}-order-feed"
  visibility_timeout_seconds = 180 # 6 x publish_order_feed' 30 s timeout
  message_retention_seconds  = 345600
  kms_master_key_id          = aws_kms_key.this.arn

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.order_feed_dlq.arn
    maxReceiveCount     = 5
  })
}

resource "aws_sqs_queue_redrive_allow_policy" "order_feed_dlq" {
  queue_url = aws_sqs_queue.order_feed_dlq.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.order_feed.arn]
  })
}

resource "aws_sqs_queue_policy" "order_feed" {
  queue_url = aws_sqs_queue.order_feed.id
  policy    = data.aws_iam_policy_document.order_feed_queue.json
}

data "aws_iam_policy_document" "order_feed_queue" {
  statement {
    sid       = "EventRulesSendToQueue"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.order_feed.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.order_feed_all.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "order_feed_dlq" {
  queue_url = aws_sqs_queue.order_feed_dlq.id
  policy    = data.aws_iam_policy_document.order_feed_dlq.json
}

data "aws_iam_policy_document" "order_feed_dlq" {
  statement {
    sid       = "EventRulesDeadLetter"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.order_feed_dlq.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.order_feed_all.arn]
    }
  }
}
