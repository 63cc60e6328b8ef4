# The order workflow (issue 10 §1, §6): orders stream -> start_order_workflows -> the order_workflow
# queue (with its DLQ, which also holds runs parked for redrive) -> run_order_workflows -> one
# Standard execution of aws_sfn_state_machine.order_workflow per order and attempt. The ASL is
# statemachines/order_workflow.asl.json, the same document the devstack runs; its tasks are the
# app's @app.lambda_functions, passed by ARN.

resource "aws_sns_topic" "order_events" {
  name              = "${var.name_prefix}-order-events"
  display_name      = "Stockroom orders"
  kms_master_key_id = aws_kms_key.this.arn
}

resource "aws_sqs_queue" "order_workflow_dlq" {
  name                      = "${var.name_prefix}-order-workflow-dlq"
  message_retention_seconds = 1209600 # 14 days, the maximum: time to inspect and redrive
  kms_master_key_id         = aws_kms_key.this.arn
}

resource "aws_sqs_queue" "order_workflow" {
  name                       = "${var.name_prefix}-order-workflow"
  visibility_timeout_seconds = 180 # 6 x run_order_workflows' 30 s timeout (resources.Queue.visibility_timeout)
  message_retention_seconds  = 345600
  kms_master_key_id          = aws_kms_key.this.arn

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.order_workflow_dlq.arn
    maxReceiveCount     = 5
  })
}

resource "aws_sqs_queue_redrive_allow_policy" "order_workflow_dlq" {
  queue_url = aws_sqs_queue.order_workflow_dlq.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.order_workflow.arn]
  })
}

locals {
  # The workflow's tasks: the ASL's ${name} placeholders.
  order_workflow_tasks = [
    "charge_payment", "compensate_payment", "commit_stock", "store_receipt",
    "publish_order_notification", "email_customer", "mark_confirmed", "park_order_workflow",
  ]
  order_workflow_name = "${var.name_prefix}-order-workflow"
}

resource "aws_cloudwatch_log_group" "order_workflow" {
  name              = "/aws/vendedlogs/states/${local.order_workflow_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
}

resource "aws_sfn_state_machine" "order_workflow" {
  #checkov:skip=CKV_AWS_285:Execution data holds customers' e-mail and postal addresses; the history is logged without it (level ERROR) and each task logs its own step with the order id.
  name     = local.order_workflow_name
  type     = "STANDARD"
  role_arn = aws_iam_role.order_workflow.arn
  definition = templatefile("${path.module}/../statemachines/order_workflow.asl.json", {
    charge_payment             = aws_lambda_function.charge_payment.arn
    compensate_payment         = aws_lambda_function.compensate_payment.arn
    commit_stock               = aws_lambda_function.commit_stock.arn
    store_receipt              = aws_lambda_function.store_receipt.arn
    publish_order_notification = aws_lambda_function.publish_order_notification.arn
    email_customer             = aws_lambda_function.email_customer.arn
    mark_confirmed             = aws_lambda_function.mark_confirmed.arn
    park_order_workflow        = aws_lambda_function.park_order_workflow.arn
  })

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.order_workflow.arn}:*"
    include_execution_data = false # orders carry e-mail and postal addresses
    level                  = "ERROR"
  }

  tracing_configuration {
    enabled = true
  }
}

# The state machine's role: invoke exactly its eight functions, write its logs, send traces.
data "aws_iam_policy_document" "order_workflow_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "order_workflow" {
  name               = "${local.order_workflow_name}-sfn"
  assume_role_policy = data.aws_iam_policy_document.order_workflow_assume.json
}

data "aws_iam_policy_document" "order_workflow" {
  statement {
    sid     = "InvokeTasks"
    actions = ["lambda:InvokeFunction"]
    resources = [
      aws_lambda_function.charge_payment.arn,
      aws_lambda_function.compensate_payment.arn,
      aws_lambda_function.commit_stock.arn,
      aws_lambda_function.store_receipt.arn,
      aws_lambda_function.publish_order_notification.arn,
      aws_lambda_function.email_customer.arn,
      aws_lambda_function.mark_confirmed.arn,
      aws_lambda_function.park_order_workflow.arn,
    ]
  }

  # CloudWatch Logs' log delivery API takes no resource-level permissions (AWS: "Logging using
  # CloudWatch Logs" for Step Functions); the log group itself is named in the machine.
  statement {
    sid = "DeliverLogs"
    actions = [
      "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
    ]
    resources = ["*"]
  }

  # X-Ray's trace API takes no resource-level permissions either.
  statement {
    sid       = "Traces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "order_workflow" {
  name   = "order-workflow"
  role   = aws_iam_role.order_workflow.id
  policy = data.aws_iam_policy_document.order_workflow.json
}

# Alarms: any failed, timed-out or aborted execution is a parked order or a bug (a declined card
# ends in Succeed: PaymentFailed). The DLQ's alarm is dlq_messages (observability.tf).
resource "aws_cloudwatch_metric_alarm" "order_workflow_executions" {
  for_each = toset(["ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"])

  alarm_name          = "${local.order_workflow_name}-${lower(each.key)}"
  alarm_description   = "Order workflow ${each.key}: the order's next attempt waits in the order_workflow DLQ; inspect, fix, redrive (docs/DEPLOY.md)."
  namespace           = "AWS/States"
  metric_name         = each.key
  dimensions          = { StateMachineArn = aws_sfn_state_machine.order_workflow.arn }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_dashboard" "order_workflow" {
  dashboard_name = "${var.name_prefix}-order-workflow"
  dashboard_body = jsonencode({
    widgets = [
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title = "Order workflow executions", region = local.region, stat = "Sum", period = 300
          metrics = [
            ["AWS/States", "ExecutionsStarted", "StateMachineArn", aws_sfn_state_machine.order_workflow.arn],
            [".", "ExecutionsSucceeded", ".", "."],
            [".", "ExecutionsFailed", ".", "."],
            [".", "ExecutionsTimedOut", ".", "."],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title = "Order workflow duration (ms)", region = local.region, period = 300
          metrics = [
            ["AWS/States", "ExecutionTime", "StateMachineArn", aws_sfn_state_machine.order_workflow.arn, { stat = "p50" }],
            ["...", { stat = "p99" }],
          ]
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 12, height = 6
        properties = {
          title = "Order workflow queue and DLQ depth", region = local.region, stat = "Maximum", period = 300
          metrics = [
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", aws_sqs_queue.order_workflow.name],
            ["...", aws_sqs_queue.order_workflow_dlq.name],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 6, width = 12, height = 6
        properties = {
          title   = "Payments and confirmations", region = local.region, stat = "Sum", period = 300
          metrics = [for name in ["PaymentsCaptured", "PaymentsFailed", "OrdersConfirmed", "WorkflowsParked"] : [local.metrics_namespace, name, "service", "stockroom"]]
        }
      },
    ]
  })
}
