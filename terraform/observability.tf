# Alarms (to aws_sns_topic.alarms) and one dashboard. Lambda log groups are created next to
# their functions in chalice.tf.json by `make package`, which also defines
# local.chalice_functions (function key => function name) for the alarms below.

locals {
  # Every dead-letter queue: any message in one is a failure someone must look at.
  dead_letter_queues = {
    alert_emails_dlq    = aws_sqs_queue.alert_emails_dlq.name
    stream_failures_dlq = aws_sqs_queue.stream_failures_dlq.name
  }
  api_name = aws_api_gateway_rest_api.rest_api.name
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
  ok_actions          = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  for_each = local.chalice_functions

  alarm_name          = "${each.value}-errors"
  alarm_description   = "Invocations of ${each.value} failed."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = each.value }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "lambda_throttles" {
  for_each = local.chalice_functions

  alarm_name          = "${each.value}-throttles"
  alarm_description   = "Invocations of ${each.value} were throttled."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = each.value }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "api_5xx" {
  alarm_name          = "${var.name_prefix}-api-5xx"
  alarm_description   = "The API answered with server errors."
  namespace           = "AWS/ApiGateway"
  metric_name         = "5XXError"
  dimensions          = { ApiName = local.api_name, Stage = local.api_stage_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
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
  ok_actions          = [aws_sns_topic.alarms.arn]
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
        type = "metric", x = 12, y = 12, width = 12, height = 6
        properties = {
          title   = "DynamoDB throttled requests", region = local.region, stat = "Sum", period = 300
          metrics = [for table in [aws_dynamodb_table.products, aws_dynamodb_table.stock, aws_dynamodb_table.orders] : ["AWS/DynamoDB", "ThrottledRequests", "TableName", table.name]]
        }
      },
    ]
  })
}
