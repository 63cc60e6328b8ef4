"""The edge cache of the public catalog (issue 9 §8, terraform/catalog_cache.tf): CloudFront may
keep an anonymous catalog read for the origin's `s-maxage` and never longer than a minute, keyed on
the Authorization header and the query string, so a signed-in caller's response is never served to
anyone else; every other API path stays uncached. (moto cannot create cache policies, so the
rehearsal replaces this one: the rule is stated here, against the module itself.)"""

from __future__ import annotations

import re
from typing import Any

from tests.infra.tfmodule import Module, _single

CACHE_PUBLIC = re.compile(r"s-maxage=(\d+)")


def _catalog_problems(module: Module) -> list[str]:
    problems = []
    policy = module.resource("aws_cloudfront_cache_policy", "catalog")
    if policy is None:
        return ["no aws_cloudfront_cache_policy.catalog"]
    if int(policy.get("default_ttl", -1)) != 0:
        problems.append("default_ttl must be 0: only responses that say they are public are stored")
    if not 0 < int(policy.get("max_ttl", 0)) <= 60:
        problems.append("max_ttl must be at most 60 s")
    key = _single(policy.get("parameters_in_cache_key_and_forwarded_to_origin"))
    headers = _single(key.get("headers_config"))
    items = _single(headers.get("headers")).get("items", [])
    if headers.get("header_behavior") != "whitelist" or "Authorization" not in items:
        problems.append("Authorization must be in the cache key")
    if _single(key.get("query_strings_config")).get("query_string_behavior") != "all":
        problems.append("every query string parameter must be in the cache key")
    if _single(key.get("cookies_config")).get("cookie_behavior") != "none":
        problems.append("cookies must stay out of the catalog's cache key")

    distribution = module.resource("aws_cloudfront_distribution", "web")
    behaviors: list[dict[str, Any]] = []
    if distribution is not None:
        raw = distribution.get("ordered_cache_behavior", [])
        behaviors = raw if isinstance(raw, list) else [raw]
    patterns = [str(b.get("path_pattern", "")) for b in behaviors]
    catalog = [i for i, p in enumerate(patterns) if p.endswith("/products*")]
    api = [i for i, p in enumerate(patterns) if p.endswith("}/*")]
    if not catalog or not api or catalog[0] > api[0]:
        problems.append("the catalog's behaviour must come before the API's (CloudFront takes the first match)")
    for index, behavior in enumerate(behaviors):
        uses = str(behavior.get("cache_policy_id", ""))
        if index in catalog:
            if "aws_cloudfront_cache_policy.catalog" not in uses:
                problems.append("the catalog's behaviour must use the catalog cache policy")
            if sorted(behavior.get("cached_methods", [])) != ["GET", "HEAD"]:
                problems.append("only GET and HEAD may be cached")
        elif "aws_cloudfront_cache_policy.catalog" in uses:
            problems.append(f"{patterns[index]} must not use the catalog cache policy")
    return problems


def test_the_catalog_is_cached_briefly_and_only_for_anonymous_reads(module: Module) -> None:
    assert _catalog_problems(module) == []


def test_the_public_header_fits_inside_the_edge_limit() -> None:
    from chalicelib.inventory.catalog import PUBLIC_CACHE_CONTROL

    found = [int(m) for m in CACHE_PUBLIC.findall(PUBLIC_CACHE_CONTROL)]
    assert found and all(0 < seconds <= 60 for seconds in found), PUBLIC_CACHE_CONTROL


def test_the_check_catches_a_leaky_policy(module: Module) -> None:
    import copy

    leaky = copy.deepcopy(module)
    policy = leaky.resource("aws_cloudfront_cache_policy", "catalog")
    assert policy is not None
    policy["max_ttl"] = 86400
    key = _single(policy["parameters_in_cache_key_and_forwarded_to_origin"])
    key["headers_config"] = [{"header_behavior": "none"}]
    problems = _catalog_problems(leaky)
    assert any("max_ttl" in p for p in problems) and any("Authorization" in p for p in problems)
