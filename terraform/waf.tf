# A web ACL in front of CloudFront (the site and /api): a rate-based rule per client address, so
# one bot cannot flood the API (sign-up, orders) or run up the bill. Cognito's own endpoints are
# not behind CloudFront; its e-mail goes through SES (cognito.tf) with the account's own quota.

resource "aws_wafv2_web_acl" "site" {
  #checkov:skip=CKV_AWS_192:The API runs no Java; there is nothing for a Log4j rule group to protect.
  #checkov:skip=CKV2_AWS_31:WAF logging needs a Firehose or an aws-waf-logs-* log group per account; sampled requests and metrics are on.
  provider    = aws.us_east_1
  name        = "${var.name_prefix}-site"
  description = "Rate limit per client in front of the site and API"
  scope       = "CLOUDFRONT"

  default_action {
    allow {}
  }

  rule {
    name     = "rate-per-ip"
    priority = 1

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit              = var.waf_rate_limit
        aggregate_key_type = "IP"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name_prefix}-rate-per-ip"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${var.name_prefix}-site"
    sampled_requests_enabled   = true
  }
}
