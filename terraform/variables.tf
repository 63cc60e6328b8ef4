variable "aws_region" {
  description = "AWS region for every regional resource (CloudFront, its certificate and WAF are global)."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region code such as us-east-1."
  }
}

variable "name_prefix" {
  description = "Prefix of every physical resource name (tables, queues, topics, buckets, pool): <prefix>-products, ..."
  type        = string
  default     = "stockroom"

  validation {
    # S3 bucket names and Cognito domains are the strictest: lower case, digits and hyphens.
    condition     = can(regex("^[a-z][a-z0-9-]{1,28}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-30 characters of a-z, 0-9 and '-', starting with a letter."
  }
}

variable "tags" {
  description = "Extra tags for every resource (added to the provider's default tags)."
  type        = map(string)
  default     = {}
}

variable "sender_email" {
  description = "From address of every e-mail the app sends through SES (SENDER_EMAIL)."
  type        = string

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.sender_email))
    error_message = "sender_email must be an e-mail address."
  }
}

variable "sender_domain" {
  description = "Verify this whole domain in SES (DKIM records are an output) instead of the sender address alone. Empty: verify sender_email."
  type        = string
  default     = ""

  validation {
    condition     = var.sender_domain == "" || can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.sender_domain))
    error_message = "sender_domain must be empty or a lower-case domain name such as shop.example.com."
  }
}

variable "admin_emails" {
  description = "Admins who receive low-stock alerts and daily reports by e-mail (ADMIN_EMAILS)."
  type        = list(string)

  validation {
    condition     = length(var.admin_emails) > 0 && alltrue([for e in var.admin_emails : can(regex("^[^@\\s,]+@[^@\\s,]+\\.[^@\\s,]+$", e))])
    error_message = "admin_emails must list at least one e-mail address (no commas)."
  }
}

variable "notification_emails" {
  description = "Addresses subscribed by e-mail to the low-stock and daily-sales SNS topics (each must confirm)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.notification_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "notification_emails must be e-mail addresses."
  }
}

variable "alarm_emails" {
  description = "Addresses subscribed by e-mail to the alarm topic (on-call)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.alarm_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "alarm_emails must be e-mail addresses."
  }
}

variable "log_retention_days" {
  description = "Retention of the Lambda and API access log groups."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, ..., 365, ..., 3653)."
  }
}

variable "cognito_domain_prefix" {
  description = "Prefix of the Cognito hosted UI domain (<prefix>.auth.<region>.amazoncognito.com), unique per region. Empty: <name_prefix>-<account id>."
  type        = string
  default     = ""

  validation {
    condition     = var.cognito_domain_prefix == "" || (can(regex("^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", var.cognito_domain_prefix)) && !can(regex("aws|amazon|cognito", var.cognito_domain_prefix)))
    error_message = "cognito_domain_prefix must be lower-case letters, digits and hyphens, and must not contain aws, amazon or cognito."
  }
}

variable "api_throttle_rate_limit" {
  description = "Steady-state requests per second the API stage accepts (all clients together)."
  type        = number
  default     = 100

  validation {
    condition     = var.api_throttle_rate_limit > 0 && var.api_throttle_rate_limit <= 10000
    error_message = "api_throttle_rate_limit must be between 1 and 10000 (the account default)."
  }
}

variable "api_throttle_burst_limit" {
  description = "Burst of requests the API stage accepts (all clients together)."
  type        = number
  default     = 200

  validation {
    condition     = var.api_throttle_burst_limit > 0 && var.api_throttle_burst_limit <= 5000 && floor(var.api_throttle_burst_limit) == var.api_throttle_burst_limit
    error_message = "api_throttle_burst_limit must be a whole number between 1 and 5000."
  }
}

variable "machine_client_rate_limit" {
  description = "Requests per second allowed to each API key of the machine-client usage plan (POS/ERP stock sync)."
  type        = number
  default     = 10

  validation {
    condition     = var.machine_client_rate_limit > 0
    error_message = "machine_client_rate_limit must be positive."
  }
}

variable "machine_client_daily_quota" {
  description = "Requests per day allowed to each API key of the machine-client usage plan."
  type        = number
  default     = 50000

  validation {
    condition     = var.machine_client_daily_quota > 0 && floor(var.machine_client_daily_quota) == var.machine_client_daily_quota
    error_message = "machine_client_daily_quota must be a positive whole number."
  }
}

variable "api_latency_p99_threshold_ms" {
  description = "The API p99 latency alarm fires above this many milliseconds (5-minute periods)."
  type        = number
  default     = 3000

  validation {
    condition     = var.api_latency_p99_threshold_ms >= 100 && var.api_latency_p99_threshold_ms <= 29000
    error_message = "api_latency_p99_threshold_ms must be between 100 and 29000 (API Gateway's integration timeout)."
  }
}

variable "manage_api_gateway_account" {
  description = "Set the account-wide API Gateway CloudWatch role (needed for stage logs). Turn off if another stack in the account owns aws_api_gateway_account."
  type        = bool
  default     = true
}

variable "web_dir" {
  description = "Directory of the static site uploaded to the web bucket (relative to this module). config.js there is ignored: Terraform renders it."
  type        = string
  default     = "../web"
}

variable "cloudfront_price_class" {
  description = "CloudFront price class of the site distribution."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.cloudfront_price_class)
    error_message = "cloudfront_price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "receipts_retention_days" {
  description = "Days receipts (PDF) are kept before they expire; noncurrent versions go after 30 days."
  type        = number
  default     = 3650

  validation {
    condition     = var.receipts_retention_days >= 30
    error_message = "receipts_retention_days must be at least 30."
  }
}

variable "reports_retention_days" {
  description = "Days daily sales reports are kept before they expire."
  type        = number
  default     = 1095

  validation {
    condition     = var.reports_retention_days >= 30
    error_message = "reports_retention_days must be at least 30."
  }
}

variable "point_in_time_recovery" {
  description = "Point-in-time recovery on every table (keep on in production)."
  type        = bool
  default     = true
}

variable "waf_rate_limit" {
  description = "Requests one client address may make to the site and API in any 5 minutes before WAF blocks it."
  type        = number
  default     = 2000

  validation {
    condition     = var.waf_rate_limit >= 100 && var.waf_rate_limit <= 2000000000 && floor(var.waf_rate_limit) == var.waf_rate_limit
    error_message = "waf_rate_limit must be a whole number of at least 100 (WAF's minimum)."
  }
}

variable "cognito_user_pool_tier" {
  description = "Cognito feature plan of the user pool: LITE, ESSENTIALS (the default for new pools) or PLUS (needed for threat protection)."
  type        = string
  default     = "ESSENTIALS"

  validation {
    condition     = contains(["LITE", "ESSENTIALS", "PLUS"], var.cognito_user_pool_tier)
    error_message = "cognito_user_pool_tier must be LITE, ESSENTIALS or PLUS."
  }
}

variable "cognito_threat_protection" {
  description = "Cognito threat protection (advanced security): OFF, AUDIT or ENFORCED. Anything but OFF needs cognito_user_pool_tier = \"PLUS\"."
  type        = string
  default     = "OFF"

  validation {
    condition     = contains(["OFF", "AUDIT", "ENFORCED"], var.cognito_threat_protection)
    error_message = "cognito_threat_protection must be OFF, AUDIT or ENFORCED."
  }

  # Cognito refuses threat protection below the PLUS plan, and only at create time: catch it at plan.
  validation {
    condition     = var.cognito_threat_protection == "OFF" || var.cognito_user_pool_tier == "PLUS"
    error_message = "cognito_threat_protection other than OFF needs cognito_user_pool_tier = \"PLUS\" (ESSENTIALS and LITE pools refuse it)."
  }
}

variable "ses_sandbox_recipients" {
  description = "While the SES account is in the sandbox (every new account is), each recipient must be a verified identity and the senders' IAM grants must cover it. true: verify each admin_emails address (each gets a link to click) and grant sending to them. Turn off once SES production access is granted."
  type        = bool
  default     = true
}

variable "error_ratio_percent" {
  description = "Alarm when more than this percentage of API requests (5xx) or of a function's invocations fail, in 2 of 3 five-minute periods."
  type        = number
  default     = 5

  validation {
    condition     = var.error_ratio_percent > 0 && var.error_ratio_percent <= 100
    error_message = "error_ratio_percent must be above 0 and at most 100."
  }
}

variable "min_invocations" {
  description = "Below this many requests (or invocations) in five minutes the error ratio counts as 0: one error in a quiet period is not an incident."
  type        = number
  default     = 20

  validation {
    condition     = var.min_invocations >= 1 && floor(var.min_invocations) == var.min_invocations
    error_message = "min_invocations must be a whole number of at least 1."
  }
}

variable "stream_lag_alarm_seconds" {
  description = "Alarm when a stream consumer is more than this many seconds behind its DynamoDB stream (IteratorAge)."
  type        = number
  default     = 300

  validation {
    condition     = var.stream_lag_alarm_seconds >= 60
    error_message = "stream_lag_alarm_seconds must be at least 60."
  }
}

variable "queue_lag_alarm_seconds" {
  description = "Alarm when the oldest message of a consumer's queue has waited more than this many seconds."
  type        = number
  default     = 900

  validation {
    condition     = var.queue_lag_alarm_seconds >= 60
    error_message = "queue_lag_alarm_seconds must be at least 60."
  }
}
