# The site (web/) in a private bucket behind CloudFront, with /api/* forwarded to the API
# Gateway stage on the same origin: the browser never makes a cross-origin call (no preflights).

resource "aws_s3_bucket" "web" {
  #checkov:skip=CKV_AWS_144:The site is rebuilt from the repository by `terraform apply`; replication adds nothing.
  #checkov:skip=CKV_AWS_18:Requests are served by CloudFront, not read from the bucket directly.
  #checkov:skip=CKV2_AWS_62:Nothing consumes bucket events for static site files.
  #checkov:skip=CKV_AWS_145:Public site files: SSE-S3 lets CloudFront's origin access control read them without KMS grants.
  bucket_prefix = "${var.name_prefix}-web-"
}

resource "aws_s3_bucket_public_access_block" "web" {
  bucket                  = aws_s3_bucket.web.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "web" {
  bucket = aws_s3_bucket.web.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "web" {
  bucket = aws_s3_bucket.web.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "web" {
  bucket = aws_s3_bucket.web.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "web" {
  bucket = aws_s3_bucket.web.id

  rule {
    id     = "previous-site-versions"
    status = "Enabled"
    filter {}

    # Old versions stay 30 days: long enough to roll the site back (docs/DEPLOY.md).
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_policy" "web" {
  bucket     = aws_s3_bucket.web.id
  policy     = data.aws_iam_policy_document.web_bucket.json
  depends_on = [aws_s3_bucket_public_access_block.web]
}

data "aws_iam_policy_document" "web_bucket" {
  statement {
    sid       = "CloudFrontReadsSite"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.web.arn}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.web.arn]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.web.arn, "${aws_s3_bucket.web.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

# Viewer request on the site behaviour: maps folder URIs to their index.html (see the file).
resource "aws_cloudfront_function" "folder_index" {
  name    = "${var.name_prefix}-folder-index"
  runtime = "cloudfront-js-2.0"
  comment = "Folder URIs to their index.html (S3 REST origins have no index documents)"
  publish = true
  code    = file("${path.module}/functions/folder-index.js")
}

resource "aws_cloudfront_origin_access_control" "web" {
  name                              = "${var.name_prefix}-web"
  description                       = "CloudFront signs its requests to the site bucket"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

# AWS managed CloudFront policies by their published ids (the same in every account, documented in
# the CloudFront Developer Guide, "Use managed cache policies" and friends). Constants rather than
# `data "aws_cloudfront_*_policy"` look-ups by name: a plan needs no extra API calls or permissions,
# and a renamed managed policy cannot silently change what the distribution uses.
locals {
  cloudfront_managed_policy = {
    caching_optimized         = "658327ea-f89d-4fab-a63d-7e88639e58f6" # Managed-CachingOptimized
    caching_disabled          = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad" # Managed-CachingDisabled
    all_viewer_except_host    = "b689b0a8-53d0-40ab-baf2-68738e2966ac" # Managed-AllViewerExceptHostHeader (API Gateway must see its own Host)
    security_headers_response = "67f7725c-6f97-4210-82d7-5512b31e9d03" # Managed-SecurityHeadersPolicy
  }
}

locals {
  site_origin_id = "site"
  api_origin_id  = "api"
}

resource "aws_cloudfront_distribution" "web" {
  #checkov:skip=CKV2_AWS_32:The managed SecurityHeadersPolicy is attached by its published id (local.cloudfront_managed_policy); checkov recognises only a policy resource.
  #checkov:skip=CKV2_AWS_47:The web ACL (waf.tf) rate-limits per client; the API runs no Java, so no Log4j rule group.
  #checkov:skip=CKV_AWS_86:CloudFront standard logs need an ACL-enabled bucket; API access logs and Lambda logs cover the API.
  #checkov:skip=CKV_AWS_174:The default *.cloudfront.net certificate; TLS 1.2 minimum applies once a custom domain certificate is set.
  #checkov:skip=CKV2_AWS_42:The default *.cloudfront.net certificate until the shop brings its own domain.
  #checkov:skip=CKV_AWS_310:One origin per behaviour: the bucket and the API are both regional services with their own redundancy.
  #checkov:skip=CKV_AWS_374:The shop sells to any country; no geo restriction.
  enabled             = true
  comment             = "${var.name_prefix} site and API"
  web_acl_id          = aws_wafv2_web_acl.site.arn
  default_root_object = "index.html"
  http_version        = "http2and3"
  is_ipv6_enabled     = true
  price_class         = var.cloudfront_price_class

  origin {
    origin_id                = local.site_origin_id
    domain_name              = aws_s3_bucket.web.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.web.id
  }

  # The stage is named like the path ("api"), so /api/products reaches the stage's /products.
  origin {
    origin_id   = local.api_origin_id
    domain_name = "${aws_api_gateway_rest_api.rest_api.id}.execute-api.${local.region}.amazonaws.com"

    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
    }
  }

  default_cache_behavior {
    target_origin_id           = local.site_origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = local.cloudfront_managed_policy.caching_optimized
    response_headers_policy_id = local.cloudfront_managed_policy.security_headers_response

    # Folder URIs ("/admin/") to their index.html: S3 behind origin access control has none.
    function_association {
      event_type   = "viewer-request"
      function_arn = aws_cloudfront_function.folder_index.arn
    }
  }

  # The public catalog may be cached briefly (catalog_cache.tf); listed first: first match wins.
  ordered_cache_behavior {
    path_pattern               = "/${local.api_stage_name}/products*"
    target_origin_id           = local.api_origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = aws_cloudfront_cache_policy.catalog.id
    origin_request_policy_id   = local.cloudfront_managed_policy.all_viewer_except_host
    response_headers_policy_id = local.cloudfront_managed_policy.security_headers_response
  }

  ordered_cache_behavior {
    path_pattern               = "/${local.api_stage_name}/*"
    target_origin_id           = local.api_origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = local.cloudfront_managed_policy.caching_disabled
    origin_request_policy_id   = local.cloudfront_managed_policy.all_viewer_except_host
    response_headers_policy_id = local.cloudfront_managed_policy.security_headers_response
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
    minimum_protocol_version       = "TLSv1.2_2021"
  }
}

# --- site files -----------------------------------------------------------------------------

locals {
  content_types = {
    html = "text/html; charset=utf-8"
    css  = "text/css; charset=utf-8"
    js   = "text/javascript; charset=utf-8"
    mjs  = "text/javascript; charset=utf-8"
    json = "application/json"
    svg  = "image/svg+xml"
    png  = "image/png"
    jpg  = "image/jpeg"
    ico  = "image/x-icon"
    webp = "image/webp"
    txt  = "text/plain; charset=utf-8"
    map  = "application/json"
  }
  # config.js is rendered below from this deployment's outputs, never uploaded from disk.
  site_files = setsubtract(fileset("${path.module}/${var.web_dir}", "**"), ["config.js"])

  site_config = {
    apiBase         = "/${local.api_stage_name}"
    region          = local.region
    userPoolId      = aws_cognito_user_pool.this.id
    clientId        = aws_cognito_user_pool_client.web.id
    cognitoEndpoint = "https://cognito-idp.${local.region}.amazonaws.com/"
    hostedUiDomain  = "https://${aws_cognito_user_pool_domain.this.domain}.auth.${local.region}.amazoncognito.com"
    # The storefront's name and price currency: the app's own SHOP_NAME / SHOP_CURRENCY
    # (.chalice/config.json), read from the generated API function so they are set in one place.
    shopName = aws_lambda_function.api_handler.environment[0].variables["SHOP_NAME"]
    currency = aws_lambda_function.api_handler.environment[0].variables["SHOP_CURRENCY"]
  }
}

resource "aws_s3_object" "site" {
  for_each = local.site_files

  bucket        = aws_s3_bucket.web.id
  key           = each.value
  source        = "${path.module}/${var.web_dir}/${each.value}"
  source_hash   = filemd5("${path.module}/${var.web_dir}/${each.value}")
  content_type  = lookup(local.content_types, lower(reverse(split(".", each.value))[0]), "application/octet-stream")
  cache_control = endswith(each.value, ".html") ? "no-cache" : "public, max-age=300"
}

resource "aws_s3_object" "site_config" {
  bucket        = aws_s3_bucket.web.id
  key           = "config.js"
  content       = "window.STOCKROOM_CONFIG = ${jsonencode(local.site_config)};\n"
  content_type  = local.content_types.js
  cache_control = "no-cache"
}
