# The public catalog, cached briefly at the edge.
#
# `GET /products` and `GET /products/{id}` answer anonymous callers with
# `Cache-Control: public, max-age=15, s-maxage=30` and signed-in callers with `private, no-store`
# (app.py, docs/CONTRACTS.md). This policy lets CloudFront follow those headers (never longer than
# a minute) for `/api/products*`, with the Authorization header and the query string in the cache
# key: an anonymous response is only ever served to anonymous requests, and the responses to
# signed-in requests are never stored. Writes (PUT, PATCH, DELETE, POST) are never cached.
resource "aws_cloudfront_cache_policy" "catalog" {
  name        = "${var.name_prefix}-catalog"
  comment     = "Public catalog reads: the origin's Cache-Control, at most 60 s, per Authorization and query"
  min_ttl     = 0
  default_ttl = 0
  max_ttl     = 60

  parameters_in_cache_key_and_forwarded_to_origin {
    enable_accept_encoding_brotli = true
    enable_accept_encoding_gzip   = true

    headers_config {
      header_behavior = "whitelist"
      headers {
        items = ["Authorization"]
      }
    }

    query_strings_config {
      query_string_behavior = "all"
    }

    cookies_config {
      cookie_behavior = "none"
    }
  }
}
