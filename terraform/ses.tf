# The sender identity (a whole domain, or the sender address alone) and the configuration set
# every message is sent with (TLS required, reputation metrics on).

locals {
  ses_identity = var.sender_domain != "" ? var.sender_domain : var.sender_email
}

resource "aws_sesv2_configuration_set" "this" {
  configuration_set_name = var.name_prefix

  delivery_options {
    tls_policy = "REQUIRE"
  }

  reputation_options {
    reputation_metrics_enabled = true
  }

  sending_options {
    sending_enabled = true
  }
}

resource "aws_sesv2_email_identity" "sender" {
  email_identity         = local.ses_identity
  configuration_set_name = aws_sesv2_configuration_set.this.configuration_set_name
}

# Cognito sends verification and reset codes as the sender identity (cognito.tf).
resource "aws_sesv2_email_identity_policy" "cognito_sends" {
  email_identity = aws_sesv2_email_identity.sender.email_identity
  policy_name    = "cognito-sends"
  policy         = data.aws_iam_policy_document.cognito_sends.json
}

data "aws_iam_policy_document" "cognito_sends" {
  statement {
    sid       = "CognitoSendsAsSender"
    actions   = ["ses:SendEmail", "ses:SendRawEmail"]
    resources = [aws_sesv2_email_identity.sender.arn]

    principals {
      type        = "Service"
      identifiers = ["email.cognito-idp.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# The SES sandbox (docs/DEPLOY.md): every recipient must be verified, and IAM checks the sender's
# grant on the recipient's identity too. While sandboxed, each admin address is verified (SES
# e-mails it a link) and the alert sender is granted on it (local.ses_recipient_identity_arns).
resource "aws_sesv2_email_identity" "sandbox_recipient" {
  for_each = var.ses_sandbox_recipients ? toset(var.admin_emails) : toset([])

  email_identity = each.value
}

locals {
  # Identities the app's senders need grants on: the sender, plus each sandbox recipient.
  ses_recipient_identity_arns = [for identity in aws_sesv2_email_identity.sandbox_recipient : identity.arn]
}
