output "site_url" {
  description = "The storefront and admin console (CloudFront)."
  value       = "https://${aws_cloudfront_distribution.web.domain_name}/"
}

output "api_url" {
  description = "The API as the site calls it: same origin, under /api (CloudFront forwards to the stage)."
  value       = "https://${aws_cloudfront_distribution.web.domain_name}/${local.api_stage_name}"
}

output "api_invoke_url" {
  description = "The API Gateway stage URL (machine clients with an API key may call it directly)."
  value       = aws_api_gateway_stage.api.invoke_url
}

output "cloudfront_distribution_id" {
  description = "Distribution id, for cache invalidations after a site upload."
  value       = aws_cloudfront_distribution.web.id
}

output "web_bucket" {
  description = "Bucket holding the site files (uploaded by terraform apply)."
  value       = aws_s3_bucket.web.bucket
}

output "receipts_bucket" {
  description = "Private bucket for PDF receipts."
  value       = aws_s3_bucket.private["receipts"].bucket
}

output "reports_bucket" {
  description = "Private bucket for daily sales reports."
  value       = aws_s3_bucket.private["reports"].bucket
}

output "user_pool_id" {
  description = "Cognito user pool (customers; admins in group `admin`)."
  value       = aws_cognito_user_pool.this.id
}

output "user_pool_client_id" {
  description = "Cognito app client of the site (public, no secret)."
  value       = aws_cognito_user_pool_client.web.id
}

output "cognito_hosted_ui" {
  description = "Hosted UI base URL."
  value       = "https://${aws_cognito_user_pool_domain.this.domain}.auth.${local.region}.amazoncognito.com"
}

output "table_names" {
  description = "DynamoDB table names by key."
  value = {
    products          = aws_dynamodb_table.products.name
    stock             = aws_dynamodb_table.stock.name
    movements         = aws_dynamodb_table.movements.name
    warehouses        = aws_dynamodb_table.warehouses.name
    orders            = aws_dynamodb_table.orders.name
    idempotency       = aws_dynamodb_table.idempotency.name
    sales_ledger      = aws_dynamodb_table.sales_ledger.name
    api_keys          = aws_dynamodb_table.api_keys.name
    payments          = aws_dynamodb_table.payments.name
    carts             = aws_dynamodb_table.carts.name
    promo_codes       = aws_dynamodb_table.promo_codes.name
    promo_redemptions = aws_dynamodb_table.promo_redemptions.name
    delivery_methods  = aws_dynamodb_table.delivery_methods.name
    reports           = aws_dynamodb_table.reports.name
  }
}

output "topic_arns" {
  description = "SNS topics: low_stock, daily_sales, alarms."
  value = {
    low_stock   = aws_sns_topic.low_stock.arn
    daily_sales = aws_sns_topic.daily_sales.arn
    alarms      = aws_sns_topic.alarms.arn
  }
}

output "dead_letter_queue_urls" {
  description = "Dead-letter queues to inspect and redrive."
  value = {
    alert_emails_dlq    = aws_sqs_queue.alert_emails_dlq.url
    stream_failures_dlq = aws_sqs_queue.stream_failures_dlq.url
  }
}

output "event_bus_name" {
  description = "EventBridge bus for domain events."
  value       = aws_cloudwatch_event_bus.domain.name
}

output "ses_dkim_tokens" {
  description = "With sender_domain: publish CNAME <token>._domainkey.<domain> -> <token>.dkim.amazonses.com for each."
  value       = aws_sesv2_email_identity.sender.dkim_signing_attributes[0].tokens
}

output "machine_usage_plan_id" {
  description = "Usage plan of the machine clients' API keys (the app registers each key it issues with it)."
  value       = aws_api_gateway_usage_plan.machine_clients.id
}

output "dashboard_url" {
  description = "CloudWatch dashboard."
  value       = "https://${local.region}.console.aws.amazon.com/cloudwatch/home?region=${local.region}#dashboards:name=${aws_cloudwatch_dashboard.this.dashboard_name}"
}

output "kms_key_arn" {
  description = "The platform's customer-managed key."
  value       = aws_kms_key.this.arn
}
