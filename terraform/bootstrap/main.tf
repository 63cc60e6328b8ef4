# Bootstrap, applied once per account by an administrator (docs/DEPLOY.md, "The pipeline"):
# the state bucket and lock table, GitHub's OIDC provider, and the pipeline's two roles.
#
#   plan role   trusted only for pull requests and the `plan` environment; reads, never writes
#               (plans run with -lock=false) and cannot read customer data.
#   apply role  trusted only for the `production` environment on refs/heads/main; the environment
#               has required reviewers, so nothing reaches it without a human approving.
#
# Both trust policies match the OIDC token's `sub`, customised to carry the ref too
# (`repo:<owner>/<repo>:environment:production:ref:refs/heads/main`): see docs/DEPLOY.md.

terraform {
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.31.0, < 6.0.0"
    }
  }
}

provider "aws" {
  region = var.aws_region
}

variable "aws_region" {
  description = "Region of the state bucket and lock table (the platform's region)."
  type        = string
  default     = "us-east-1"
}

variable "github_repository" {
  description = "owner/name of the GitHub repository whose workflow deploys."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be owner/name."
  }
}

variable "name_prefix" {
  description = "The platform's name_prefix: the apply role may manage IAM roles and policies named <prefix>-* only."
  type        = string
  default     = "stockroom"
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC provider (false if the account already has token.actions.githubusercontent.com)."
  type        = bool
  default     = true
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  oidc_host  = "token.actions.githubusercontent.com"
  oidc_arn   = "arn:${local.partition}:iam::${local.account_id}:oidc-provider/${local.oidc_host}"
  repo       = "repo:${var.github_repository}"
}

# --- state -------------------------------------------------------------------------------------

resource "aws_s3_bucket" "state" {
  #checkov:skip=CKV_AWS_144:Terraform state is versioned; cross-region replication is not wanted for one account.
  #checkov:skip=CKV_AWS_18:Access to the state is through the two pipeline roles and CloudTrail.
  #checkov:skip=CKV2_AWS_62:Nothing consumes state bucket events.
  #checkov:skip=CKV_AWS_145:SSE-S3 keeps the plan role free of KMS grants; access is limited by the bucket policy and roles.
  #checkov:skip=CKV2_AWS_61:Old state versions are kept on purpose (rollback of state).
  bucket_prefix = "${var.name_prefix}-tfstate-"
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket                  = aws_s3_bucket.state.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_dynamodb_table" "lock" {
  #checkov:skip=CKV_AWS_119:Lock items hold no data worth a customer-managed key.
  name                        = "${var.name_prefix}-tflock"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "LockID"
  deletion_protection_enabled = true

  attribute {
    name = "LockID"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }
}

# --- GitHub OIDC ---------------------------------------------------------------------------------

resource "aws_iam_openid_connect_provider" "github" {
  count          = var.create_oidc_provider ? 1 : 0
  url            = "https://${local.oidc_host}"
  client_id_list = ["sts.amazonaws.com"]
  # AWS validates GitHub's certificate through its own trust store; the thumbprint is required by
  # the API but unused for this provider.
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1"]
}

# --- the plan role -------------------------------------------------------------------------------

data "aws_iam_policy_document" "plan_trust" {
  statement {
    sid     = "PullRequestsAndPlanEnvironment"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.oidc_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringLike"
      variable = "${local.oidc_host}:sub"
      values   = ["${local.repo}:pull_request:ref:refs/pull/*", "${local.repo}:environment:plan:ref:*"]
    }
  }
}

resource "aws_iam_role" "plan" {
  name                 = "${var.name_prefix}-github-plan"
  description          = "terraform plan from pull requests: read-only, no customer data"
  assume_role_policy   = data.aws_iam_policy_document.plan_trust.json
  max_session_duration = 3600
}

resource "aws_iam_role_policy_attachment" "plan_read_only" {
  role       = aws_iam_role.plan.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/ReadOnlyAccess"
}

# ReadOnlyAccess reads data too. A pull request runs its own Makefile with this role, so it must
# not be able to read customer data: table items, receipts and reports, queued messages.
data "aws_iam_policy_document" "plan_no_data" {
  statement {
    sid       = "NoCustomerData"
    effect    = "Deny"
    actions   = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:GetRecords", "dynamodb:PartiQLSelect", "dynamodb:ExportTableToPointInTime", "sqs:ReceiveMessage", "cognito-idp:ListUsers", "cognito-idp:AdminGetUser", "secretsmanager:GetSecretValue", "ssm:GetParameter*"]
    resources = ["*"]
  }

  statement {
    sid           = "NoObjectsButStateAndSite"
    effect        = "Deny"
    actions       = ["s3:GetObject", "s3:GetObjectVersion"]
    not_resources = ["${aws_s3_bucket.state.arn}/*", "arn:${local.partition}:s3:::${var.name_prefix}-web-*/*"]
  }
}

resource "aws_iam_role_policy" "plan_no_data" {
  name   = "no-customer-data"
  role   = aws_iam_role.plan.id
  policy = data.aws_iam_policy_document.plan_no_data.json
}

# --- the apply role ------------------------------------------------------------------------------

data "aws_iam_policy_document" "apply_trust" {
  statement {
    sid     = "ProductionEnvironmentOnMain"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.oidc_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:sub"
      values   = ["${local.repo}:environment:production:ref:refs/heads/main"]
    }
  }
}

resource "aws_iam_role" "apply" {
  name                 = "${var.name_prefix}-github-apply"
  description          = "terraform apply from main through the production environment (required reviewers)"
  assume_role_policy   = data.aws_iam_policy_document.apply_trust.json
  max_session_duration = 3600
}

# Everything but IAM and Organizations; IAM only on the platform's own names (<prefix>-*).
resource "aws_iam_role_policy_attachment" "apply_power_user" {
  role       = aws_iam_role.apply.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/PowerUserAccess"
}

data "aws_iam_policy_document" "apply_iam" {
  statement {
    sid       = "PlatformRolesOnly"
    actions   = ["iam:CreateRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:PassRole"]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/${var.name_prefix}-*"]
  }

  statement {
    sid       = "ReadIam"
    actions   = ["iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole", "iam:GetPolicy", "iam:GetPolicyVersion"]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/${var.name_prefix}-*", "arn:${local.partition}:iam::aws:policy/*"]
  }

  statement {
    sid       = "StateLock"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"]
    resources = [aws_dynamodb_table.lock.arn]
  }
}

resource "aws_iam_role_policy" "apply_iam" {
  name   = "platform-iam"
  role   = aws_iam_role.apply.id
  policy = data.aws_iam_policy_document.apply_iam.json
}

output "plan_role_arn" {
  description = "GitHub variable AWS_PLAN_ROLE_ARN."
  value       = aws_iam_role.plan.arn
}

output "apply_role_arn" {
  description = "GitHub variable AWS_APPLY_ROLE_ARN (set on the production environment)."
  value       = aws_iam_role.apply.arn
}

output "state_bucket" {
  description = "GitHub variable TF_STATE_BUCKET."
  value       = aws_s3_bucket.state.bucket
}

output "lock_table" {
  description = "GitHub variable TF_LOCK_TABLE."
  value       = aws_dynamodb_table.lock.name
}
