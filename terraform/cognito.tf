# One user pool for customers (self sign-up, e-mail verified) and admins (group `admin`).
resource "aws_cognito_user_pool" "this" {
  name                     = var.name_prefix
  deletion_protection      = "ACTIVE"
  username_attributes      = ["email"]
  auto_verified_attributes = ["email"]
  mfa_configuration        = "OPTIONAL"

  username_configuration {
    case_sensitive = false
  }

  password_policy {
    minimum_length                   = 12
    require_lowercase                = true
    require_uppercase                = true
    require_numbers                  = true
    require_symbols                  = true
    temporary_password_validity_days = 3
  }

  software_token_mfa_configuration {
    enabled = true
  }

  admin_create_user_config {
    allow_admin_create_user_only = false # customers sign themselves up
  }

  account_recovery_setting {
    recovery_mechanism {
      name     = "verified_email"
      priority = 1
    }
  }

  verification_message_template {
    default_email_option = "CONFIRM_WITH_CODE"
    email_subject        = "Your Stockroom verification code"
    email_message        = "Your Stockroom verification code is {####}."
  }

  # New pools start on ESSENTIALS, which refuses threat protection: the plan is explicit, and
  # variables.tf allows threat protection only with PLUS.
  user_pool_tier = var.cognito_user_pool_tier

  user_pool_add_ons {
    advanced_security_mode = var.cognito_threat_protection
  }

  # Verification and reset codes go through SES from the shop's own verified sender, not from
  # Cognito's built-in account (a few dozen e-mails a day: a sign-up bot would exhaust it and
  # lock every customer out of password resets). ses.tf lets Cognito send as that identity.
  email_configuration {
    email_sending_account = "DEVELOPER"
    source_arn            = aws_sesv2_email_identity.sender.arn
    from_email_address    = var.sender_email
    configuration_set     = aws_sesv2_configuration_set.this.configuration_set_name
  }

  depends_on = [aws_sesv2_email_identity_policy.cognito_sends]
}

resource "aws_cognito_user_group" "admin" {
  name         = "admin"
  user_pool_id = aws_cognito_user_pool.this.id
  description  = "Shop staff: admin console and admin API routes"
}

# The site's client: public (no secret), so the browser can sign in with USER_PASSWORD_AUTH
# (docs/CONTRACTS.md) or through the hosted UI.
resource "aws_cognito_user_pool_client" "web" {
  name                          = "${var.name_prefix}-web"
  user_pool_id                  = aws_cognito_user_pool.this.id
  generate_secret               = false
  enable_token_revocation       = true
  prevent_user_existence_errors = "ENABLED"
  explicit_auth_flows           = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]

  access_token_validity  = 60
  id_token_validity      = 60
  refresh_token_validity = 30
  token_validity_units {
    access_token  = "minutes"
    id_token      = "minutes"
    refresh_token = "days"
  }

  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["code"]
  allowed_oauth_scopes                 = ["openid", "email", "profile"]
  supported_identity_providers         = ["COGNITO"]
  callback_urls                        = ["https://${aws_cloudfront_distribution.web.domain_name}/"]
  logout_urls                          = ["https://${aws_cloudfront_distribution.web.domain_name}/"]
}

resource "aws_cognito_user_pool_domain" "this" {
  domain       = var.cognito_domain_prefix != "" ? var.cognito_domain_prefix : "${var.name_prefix}-${local.account_id}"
  user_pool_id = aws_cognito_user_pool.this.id
}
