provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge(var.tags, {
      Application = "stockroom"
      Environment = var.name_prefix
      ManagedBy   = "terraform"
    })
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  # The API Gateway stage: Chalice's `api_gateway_stage` in .chalice/config.json. CloudFront
  # forwards /api/* unchanged, so the stage name *is* the site's API path (same origin).
  api_stage_name = "api"
}

# CloudFront's web ACL (waf.tf) must live in us-east-1 whatever the platform's region.
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"

  default_tags {
    tags = merge(var.tags, {
      Application = "stockroom"
      Environment = var.name_prefix
      ManagedBy   = "terraform"
    })
  }
}
