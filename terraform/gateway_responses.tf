# API Gateway's own answers in the API's error shape.
#
# Every answer the app gives is `{"error": "<Code>", "message": "..."}` with X-Correlation-Id
# (chalicelib/core/web.py). API Gateway answers some requests itself, before the app runs: a
# method a path does not take (its MISSING_AUTHENTICATION_TOKEN, a 403 that would echo the
# Authorization header), a token the Cognito authorizer refuses, throttling, a body over its own
# limit, integration failures. These gateway responses give them the same shape, with the request
# id as X-Correlation-Id. Unknown paths never get here: the app's catch-all route `/{proxy+}`
# answers them with its own 404.
#
# Gateway responses take effect with the stage's next deployment, which follows every change of
# the API's body (terraform/package.py).

locals {
  gateway_responses = {
    MISSING_AUTHENTICATION_TOKEN = {
      status  = "405"
      error   = "MethodNotAllowed"
      message = "\"this path does not take this method; the API is described at /openapi.json\""
    }
    UNAUTHORIZED = {
      status  = "401"
      error   = "Unauthorized"
      message = "\"sign in first: this request needs a valid token in the Authorization header\""
    }
    ACCESS_DENIED = {
      status  = "403"
      error   = "Forbidden"
      message = "$context.error.messageString"
    }
    # A machine route's key API Gateway does not know (never issued, or revoked: the app deletes a
    # revoked key from the usage plan): 401 as the app answers, not API Gateway's default 403.
    INVALID_API_KEY = {
      status  = "401"
      error   = "Unauthorized"
      message = "\"invalid API key: send the key POST /api-keys issued in the X-Api-Key header\""
    }
    QUOTA_EXCEEDED = {
      status  = "429"
      error   = "TooManyRequests"
      message = "\"this API key used up its daily quota; try again tomorrow\""
    }
    THROTTLED = {
      status  = "429"
      error   = "TooManyRequests"
      message = "\"too many requests; wait a moment and try again\""
    }
    REQUEST_TOO_LARGE = {
      status  = "413"
      error   = "PayloadTooLarge"
      message = "$context.error.messageString"
    }
    DEFAULT_4XX = {
      status  = null
      error   = "BadRequest"
      message = "$context.error.messageString"
    }
    DEFAULT_5XX = {
      status  = null
      error   = "InternalError"
      message = "$context.error.messageString"
    }
  }
}

resource "aws_api_gateway_gateway_response" "this" {
  for_each = local.gateway_responses

  rest_api_id   = aws_api_gateway_rest_api.rest_api.id
  response_type = each.key
  status_code   = each.value.status

  # `message` is a JSON string literal: quoted text, or $context.error.messageString (quoted by
  # API Gateway).
  response_templates = {
    "application/json" = "{\"error\":\"${each.value.error}\",\"message\":${each.value.message}}"
  }

  response_parameters = {
    "gatewayresponse.header.X-Correlation-Id" = "context.requestId"
    "gatewayresponse.header.Cache-Control"    = "'private, no-store'"
  }
}
