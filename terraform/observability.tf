# Alarms (to aws_sns_topic.alarms) and one dashboard. Lambda log groups are created next to
# their functions in chalice.tf.json by `make package`, which also defines
# local.chalice_functions (function key => function name) for the alarms below.

locals {
  # Every dead-letter queue: any message in one is a failure someone must look at.
  dead_letter_queues = {
    alert_emails_dlq    = aws_sqs_queue.alert_emails_dlq.name
    stream_failures_dlq = aws_sqs_queue.stream_failures_dlq.name
    purchase_emails_dlq = aws_sqs_queue.purchase_emails_dlq.name
    ledger_events_dlq   = aws_sqs_queue.ledger_events_dlq.name
    order_feed_dlq      = aws_sqs_queue.order_feed_dlq.name
    order_workflow_dlq  = aws_sqs_queue.order_workflow_dlq.name
  }
  # Domain events (chalicelib.core.events): put on the bus, or refused by it.
  event_metrics = ["EventsPublished", "EventsFailed"]
  api_name      = aws_api_gateway_rest_api.rest_api.name
  # The handlers' EMF metrics (chalicelib.core.observability): make package sets
  # POWERTOOLS_METRICS_NAMESPACE to the name prefix, one namespace per environment.
  metrics_namespace = var.name_prefix
  business_metrics  = ["OrdersPlaced", "AlertsSent", "ReconcileRepairs", "RecordsFailed"]
}

resource "aws_cloudwatch_metric_alarm" "dlq_messages" {
  for_each = local.dead_letter_queues

  alarm_name          = "${var.name_prefix}-${each.key}-not-empty"
  alarm_description   = "Messages in ${each.value}: inspect, fix, then redrive (docs/DEPLOY.md)."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
}

# Error ratios, not single errors: one 5xx or one failed invocation among thousands is noise, and
# an alarm that fires on it is soon ignored. Below a minimum number of requests in the period the
# ratio reads 0 (IF(...)), so a quiet hour with one error stays quiet. Alarms notify when they
# fire only (no OK e-mails: the ALARM e-mail and the dashboard say when it is over).
resource "aws_cloudwatch_metric_alarm" "lambda_error_ratio" {
  for_each = local.chalice_functions

  alarm_name          = "${each.value}-error-ratio"
  alarm_description   = "More than ${var.error_ratio_percent}% of ${each.value}'s invocations failed (at least ${var.min_invocations} in 5 minutes)."
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  threshold           = var.error_ratio_percent
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]

  metric_query {
    id          = "ratio"
    expression  = "IF(invocations >= ${var.min_invocations}, 100 * errors / invocations, 0)"
    label       = "Error %"
    return_data = true
  }

  metric_query {
    id = "errors"
    metric {
      namespace   = "AWS/Lambda"
      metric_name = "Errors"
      dimensions  = { FunctionName = each.value }
      stat        = "Sum"
      period      = 300
    }
  }

  metric_query {
    id = "invocations"
    metric {
      namespace   = "AWS/Lambda"
      metric_name = "Invocations"
      dimensions  = { FunctionName = each.value }
      stat        = "Sum"
      period      = 300
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "lambda_throttles" {
  for_each = local.chalice_functions

  alarm_name          = "${each.value}-throttles"
  alarm_description   = "Invocations of ${each.value} were throttled for 10 minutes."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = each.value }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 2
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "api_5xx_ratio" {
  alarm_name          = "${var.name_prefix}-api-5xx-ratio"
  alarm_description   = "More than ${var.error_ratio_percent}% of API requests failed with 5xx (at least ${var.min_invocations} requests in 5 minutes)."
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  threshold           = var.error_ratio_percent
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]

  metric_query {
    id          = "ratio"
    expression  = "IF(requests >= ${var.min_invocations}, 100 * errors / requests, 0)"
    label       = "5xx %"
    return_data = true
  }

  metric_query {
    id = "errors"
    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "5XXError"
      dimensions  = { ApiName = local.api_name, Stage = local.api_stage_name }
      stat        = "Sum"
      period      = 300
    }
  }

  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "Count"
      dimensions  = { ApiName = local.api_name, Stage = local.api_stage_name }
      stat        = "Sum"
      period      = 300
    }
  }
}

# Consumer lag: a stream consumer falling behind (the age of the newest record it has processed),
# and a queue whose oldest message waits too long, are failures that raise no error anywhere.
resource "aws_cloudwatch_metric_alarm" "stream_iterator_age" {
  for_each = local.chalice_stream_functions

  alarm_name          = "${each.value}-iterator-age"
  alarm_description   = "${each.value} is more than ${var.stream_lag_alarm_seconds} s behind its DynamoDB stream."
  namespace           = "AWS/Lambda"
  metric_name         = "IteratorAge"
  dimensions          = { FunctionName = each.value }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 2
  threshold           = var.stream_lag_alarm_seconds * 1000
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "queue_oldest_message" {
  for_each = local.chalice_queue_consumers

  alarm_name          = "${each.value}-oldest-message"
  alarm_description   = "A message in ${each.value} has waited more than ${var.queue_lag_alarm_seconds} s for ${each.key}."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = each.value }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 2
  threshold           = var.queue_lag_alarm_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
}

# Records a handler reported as failed in its partial batch response: Lambda's Errors never sees
# them (the invocation succeeded), so the handlers count them (Powertools Metrics, EMF).
resource "aws_cloudwatch_metric_alarm" "records_failed" {
  alarm_name          = "${var.name_prefix}-records-failed"
  alarm_description   = "Stream records or queue messages failed in their handler and are being retried (then dead-lettered)."
  namespace           = local.metrics_namespace
  metric_name         = "RecordsFailed"
  dimensions          = { service = "stockroom" }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
}

# Events the bus refused (PutEvents' per-entry errors, throttling): their stream records are
# retried, so a burst heals itself; an alarm over two periods means publishing is stuck.
resource "aws_cloudwatch_metric_alarm" "events_failed" {
  alarm_name          = "${var.name_prefix}-events-failed"
  alarm_description   = "Domain events were refused by the bus in two consecutive periods: the streams are being retried."
  namespace           = local.metrics_namespace
  metric_name         = "EventsFailed"
  dimensions          = { service = "stockroom" }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "api_latency_p99" {
  alarm_name          = "${var.name_prefix}-api-latency-p99"
  alarm_description   = "API p99 latency above ${var.api_latency_p99_threshold_ms} ms."
  namespace           = "AWS/ApiGateway"
  metric_name         = "Latency"
  dimensions          = { ApiName = local.api_name, Stage = local.api_stage_name }
  extended_statistic  = "p99"
  period              = 300
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  threshold           = var.api_latency_p99_threshold_ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name_prefix
  dashboard_body = jsonencode({
    widgets = [
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title = "API requests and errors", region = local.region, stat = "Sum", period = 300
          metrics = [
            ["AWS/ApiGateway", "Count", "ApiName", local.api_name, "Stage", local.api_stage_name],
            [".", "4XXError", ".", ".", ".", "."],
            [".", "5XXError", ".", ".", ".", "."],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title = "API latency", region = local.region, period = 300
          metrics = [
            ["AWS/ApiGateway", "Latency", "ApiName", local.api_name, "Stage", local.api_stage_name, { stat = "p50" }],
            ["...", { stat = "p99" }],
          ]
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 12, height = 6
        properties = {
          title   = "Lambda errors", region = local.region, stat = "Sum", period = 300
          metrics = [for name in values(local.chalice_functions) : ["AWS/Lambda", "Errors", "FunctionName", name]]
        }
      },
      {
        type = "metric", x = 12, y = 6, width = 12, height = 6
        properties = {
          title   = "Lambda duration p99", region = local.region, stat = "p99", period = 300
          metrics = [for name in values(local.chalice_functions) : ["AWS/Lambda", "Duration", "FunctionName", name]]
        }
      },
      {
        type = "metric", x = 0, y = 12, width = 12, height = 6
        properties = {
          title   = "Dead-letter queues", region = local.region, stat = "Maximum", period = 300
          metrics = [for name in values(local.dead_letter_queues) : ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", name]]
        }
      },
      {
        type = "metric", x = 0, y = 18, width = 12, height = 6
        properties = {
          title   = "Business: orders, alerts, repairs, failed records", region = local.region, stat = "Sum", period = 300
          metrics = [for name in local.business_metrics : [local.metrics_namespace, name, "service", "stockroom"]]
        }
      },
      {
        type = "metric", x = 12, y = 18, width = 12, height = 6
        properties = {
          title = "Consumer lag: stream iterator age (ms), oldest message (s)", region = local.region, stat = "Maximum", period = 300
          metrics = concat(
            [for name in values(local.chalice_stream_functions) : ["AWS/Lambda", "IteratorAge", "FunctionName", name]],
            [for name in values(local.chalice_queue_consumers) : ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", name]],
          )
        }
      },
      {
        type = "metric", x = 0, y = 24, width = 12, height = 6
        properties = {
          title = "Domain events: published, failed; delivered by rules, failed, to DLQs", region = local.region, stat = "Sum", period = 300
          metrics = concat(
            [for name in local.event_metrics : [local.metrics_namespace, name, "service", "stockroom"]],
            [for pair in setproduct(values(local.event_rule_names), ["Invocations", "FailedInvocations", "InvocationsSentToDlq"]) :
            ["AWS/Events", pair[1], "EventBusName", aws_cloudwatch_event_bus.domain.name, "RuleName", pair[0]]],
          )
        }
      },
      {
        type = "metric", x = 12, y = 12, width = 12, height = 6
        properties = {
          title   = "DynamoDB throttled requests", region = local.region, stat = "Sum", period = 300
          metrics = [for table in [aws_dynamodb_table.products, aws_dynamodb_table.stock, aws_dynamodb_table.orders] : ["AWS/DynamoDB", "ThrottledRequests", "TableName", table.name]]
        }
      },
    ]
  })
}
