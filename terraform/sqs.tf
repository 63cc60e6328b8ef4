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
