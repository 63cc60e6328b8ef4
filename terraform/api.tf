# The stage of Chalice's REST API (aws_api_gateway_rest_api.rest_api and its deployment come from
# chalice.tf.json; `make package` moves the stage out of the deployment into this resource so it
# can carry throttling, access logs and tracing).

resource "aws_api_gateway_stage" "api" {
  #checkov:skip=CKV_AWS_120:Responses are per user and change with every stock movement; API caching would serve stale stock.
  #checkov:skip=CKV2_AWS_29:The web ACL sits on CloudFront (waf.tf), the site's and browsers' entry; the stage URL serves API-key machine clients under throttling and a usage plan.
  #checkov:skip=CKV2_AWS_51:Clients are browsers and API-key machine clients over public TLS; no mutual TLS client certificates.
  rest_api_id          = aws_api_gateway_rest_api.rest_api.id
  deployment_id        = aws_api_gateway_deployment.rest_api.id
  stage_name           = local.api_stage_name
  xray_tracing_enabled = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api_access.arn
    format = jsonencode({
      requestId      = "$context.requestId"
      ip             = "$context.identity.sourceIp"
      requestTime    = "$context.requestTime"
      httpMethod     = "$context.httpMethod"
      resourcePath   = "$context.resourcePath"
      status         = "$context.status"
      responseLength = "$context.responseLength"
      latency        = "$context.responseLatency"
      integrationErr = "$context.integration.error"
      apiKeyId       = "$context.identity.apiKeyId"
      userAgent      = "$context.identity.userAgent"
    })
  }

  depends_on = [aws_api_gateway_account.this]
}

resource "aws_api_gateway_method_settings" "all" {
  #checkov:skip=CKV_AWS_225:Caching off on purpose (see CKV_AWS_120 on the stage).
  rest_api_id = aws_api_gateway_rest_api.rest_api.id
  stage_name  = aws_api_gateway_stage.api.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled        = true
    logging_level          = "ERROR"
    data_trace_enabled     = false # request bodies carry customer data
    throttling_rate_limit  = var.api_throttle_rate_limit
    throttling_burst_limit = var.api_throttle_burst_limit
    caching_enabled        = false
  }
}

resource "aws_cloudwatch_log_group" "api_access" {
  name              = "/aws/apigateway/${var.name_prefix}-api-access"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
}

# Account-wide: the role API Gateway uses to write stage logs. One per account and region.
resource "aws_api_gateway_account" "this" {
  count               = var.manage_api_gateway_account ? 1 : 0
  cloudwatch_role_arn = aws_iam_role.api_gateway_cloudwatch[0].arn
}

resource "aws_iam_role" "api_gateway_cloudwatch" {
  count              = var.manage_api_gateway_account ? 1 : 0
  name               = "${var.name_prefix}-apigateway-cloudwatch"
  assume_role_policy = data.aws_iam_policy_document.api_gateway_assume.json
}

data "aws_iam_policy_document" "api_gateway_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy_attachment" "api_gateway_cloudwatch" {
  count      = var.manage_api_gateway_account ? 1 : 0
  role       = aws_iam_role.api_gateway_cloudwatch[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

# Machine clients (tills, marketplaces, ERP stock sync) call the `/machine/...` routes with an API key
# (`X-Api-Key`). Those methods are the only ones with `api_key_required` (app.py); the browser's
# routes keep the Cognito authorizer or take anonymous callers, so one method never has to accept
# "a token or a key", which API Gateway cannot express. Each key is issued by the app
# (`POST /api-keys`), which registers it with this plan (found by its name, MACHINE_USAGE_PLAN_NAME)
# and deletes it here when it is revoked; API Gateway checks it exists and applies the throttle and
# quota per key, and the app verifies it again (hash, scope, revocation) in every request.
resource "aws_api_gateway_usage_plan" "machine_clients" {
  name        = "${var.name_prefix}-machine-clients"
  description = "Rate and quota per machine-client API key"

  api_stages {
    api_id = aws_api_gateway_rest_api.rest_api.id
    stage  = aws_api_gateway_stage.api.stage_name
  }

  throttle_settings {
    rate_limit  = var.machine_client_rate_limit
    burst_limit = ceil(var.machine_client_rate_limit * 2)
  }

  quota_settings {
    limit  = var.machine_client_daily_quota
    period = "DAY"
  }
}
