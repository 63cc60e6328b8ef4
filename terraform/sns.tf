# Topics from chalicelib/resources.py TOPICS (`aws_sns_topic.<key>`), plus the alarm topic.
# All encrypted with the platform key; e-mail subscribers from variables (each must confirm).

resource "aws_sns_topic" "low_stock" {
  name              = "${var.name_prefix}-low-stock"
  display_name      = "Stockroom low stock"
  kms_master_key_id = aws_kms_key.this.arn
}

resource "aws_sns_topic" "daily_sales" {
  name              = "${var.name_prefix}-daily-sales"
  display_name      = "Stockroom daily sales"
  kms_master_key_id = aws_kms_key.this.arn
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name_prefix}-alarms"
  display_name      = "Stockroom alarms"
  kms_master_key_id = aws_kms_key.this.arn
}

locals {
  # topic key => ARN, for the e-mail subscriptions below
  notification_topics = {
    low_stock   = aws_sns_topic.low_stock.arn
    daily_sales = aws_sns_topic.daily_sales.arn
  }
  notification_subscriptions = {
    for pair in setproduct(keys(local.notification_topics), var.notification_emails) :
    "${pair[0]}:${pair[1]}" => { topic = pair[0], email = pair[1] }
  }
}

resource "aws_sns_topic_subscription" "notification_email" {
  for_each = local.notification_subscriptions

  topic_arn = local.notification_topics[each.value.topic]
  protocol  = "email"
  endpoint  = each.value.email
}

resource "aws_sns_topic_subscription" "alarm_email" {
  for_each = toset(var.alarm_emails)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}
