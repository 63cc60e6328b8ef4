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
