// CloudFront Function (cloudfront-js-2.0), viewer request, on the site's default behaviour only
// (never on /api/*). The site bucket is read through origin access control from S3's REST
// endpoint, which has no index documents: a folder URI ("/admin/") is a key that does not exist,
// and without s3:ListBucket S3 answers 403. So:
//   "/admin/"  -> "/admin/index.html"   (rewritten in place: the address bar keeps "/admin/")
//   "/admin"   -> 301 to "/admin/"      (so the page's relative links resolve under /admin/)
//   "/js/a.js" -> unchanged             (a last segment with a dot is a file)
// "/" is left to the distribution's default_root_object. Tested with node in
// tests/infra/test_cloudfront_function.py.
function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri === "/") {
    return request;
  }
  if (uri.endsWith("/")) {
    request.uri = uri + "index.html";
    return request;
  }
  var last = uri.substring(uri.lastIndexOf("/") + 1);
  if (last.indexOf(".") === -1) {
    return {
      statusCode: 301,
      statusDescription: "Moved Permanently",
      headers: {
        location: { value: uri + "/" + queryString(request.querystring) },
        "cache-control": { value: "max-age=3600" },
      },
    };
  }
  return request;
}

// The viewer's query string, rebuilt from CloudFront's parsed form (values arrive URL-encoded).
function queryString(querystring) {
  var parts = [];
  var names = Object.keys(querystring || {});
  for (var i = 0; i < names.length; i++) {
    var entry = querystring[names[i]];
    var values = entry.multiValue ? entry.multiValue : [entry];
    for (var j = 0; j < values.length; j++) {
      parts.push(values[j].value === "" ? names[i] : names[i] + "=" + values[j].value);
    }
  }
  return parts.length ? "?" + parts.join("&") : "";
}
