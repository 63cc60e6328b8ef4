"""Fixes to Chalice's local API Gateway emulation (`chalice local` and `chalice.test.Client`),
so that local and deployed behaviour agree. `patch_chalice_local()` applies them all; the
devstack's `chalice local` (devstack/chalice_local.py) and the test client fixtures call it.

1. Malformed bearer tokens. For a Cognito-authorized route, Chalice's local authorizer
   base64-decodes the bearer token's payload to fake API Gateway's claims, and a malformed token
   (`not.a.token`) makes it raise: the caller gets a 500 where API Gateway would answer 401. We
   let such a request through with no claims instead; the app verifies every token itself
   (`chalicelib.core.auth`) and answers 401. The local authorizer accepts anything anyway, so
   this admits nothing that was refused before.
2. Path parameters are URL-decoded, as API Gateway decodes them: `/products/abc%0A` looks up
   `abc\\n` (and is refused by the app's id rule), never the literal `abc%0A`.
3. Greedy path parameters (`/{proxy+}`) match any number of segments, after every more specific
   route, as in API Gateway. The app's catch-all route answers unknown paths with its own 404,
   so `chalice local`'s 403 that echoes the Authorization header is never reached.
4. Any HTTP method reaches the app (which answers 405 in its own shape for a method a path does
   not take), where `http.server` would answer TRACE or an unknown method with an HTML 501.
5. The local stage's `SITE_ORIGIN` and `CORS_ALLOW_ORIGIN` follow the site's port
   (`STOCKROOM_WEB_PORT`, `devstack.env.port_overrides`): `chalice local` copies the stage's
   variables from config.json (port 8080) over the process environment.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlparse


def patch_chalice_local() -> None:
    patch_local_authorizer()
    patch_route_matching()
    patch_any_method()
    patch_stage_environment()


def patch_any_method() -> None:
    from chalice.local import ChaliceRequestHandler

    if getattr(ChaliceRequestHandler, "_stockroom_any_method", False):
        return

    def any_method(self: Any, name: str) -> Any:
        # http.server looks up `do_<METHOD>`; every method token goes to the gateway emulation.
        if name.startswith("do_") and name[3:].isalpha() and name[3:].isupper():
            return self._generic_handle
        raise AttributeError(name)

    ChaliceRequestHandler.__getattr__ = any_method  # type: ignore[attr-defined]
    ChaliceRequestHandler._stockroom_any_method = True  # type: ignore[attr-defined]


def patch_local_authorizer() -> None:
    from chalice.local import LocalGatewayAuthorizer

    original = LocalGatewayAuthorizer._decode_jwt_payload
    if getattr(original, "_stockroom_patched", False):
        return

    def decode(self: Any, jwt: str) -> dict[str, Any]:
        try:
            claims = original(self, jwt)
        except (ValueError, IndexError, TypeError):
            return {}
        return claims if isinstance(claims, dict) else {}

    decode._stockroom_patched = True  # type: ignore[attr-defined]
    LocalGatewayAuthorizer._decode_jwt_payload = decode  # type: ignore[method-assign]


def match_route(route_urls: list[str], url: str) -> tuple[str, dict[str, str], dict[str, list[str]]]:
    """API Gateway's route selection: (route, decoded path parameters, query parameters).

    Literal segments beat `{param}` beats a greedy `{name+}` (which must be the last segment and
    takes one or more segments); parameters are percent-decoded per segment, so an encoded slash
    stays inside its parameter. Raises ValueError when nothing matches.
    """
    parsed = urlparse(url)
    query = parse_qs(parsed.query, keep_blank_values=True)
    path = parsed.path
    if path != "/" and path.endswith("/"):
        path = path[:-1]
    parts = path.split("/")
    best: tuple[tuple[int, ...], str, dict[str, str]] | None = None
    for route in route_urls:
        pattern = route.split("/")
        greedy = pattern[-1].startswith("{") and pattern[-1].endswith("+}")
        if greedy:
            if len(parts) < len(pattern) or (len(parts) == len(pattern) and not parts[-1]):
                continue
        elif len(parts) != len(pattern):
            continue
        captured: dict[str, str] = {}
        rank: list[int] = []
        for index, segment in enumerate(pattern):
            if greedy and index == len(pattern) - 1:
                captured[segment[1:-2]] = unquote("/".join(parts[index:]))
                rank.append(2)
                break
            if segment.startswith("{") and segment.endswith("}"):
                captured[segment[1:-1]] = unquote(parts[index])
                rank.append(1)
            elif segment == parts[index]:
                rank.append(0)
            else:
                break
        if len(rank) != len(pattern):
            continue
        key = tuple(rank)
        if best is None or key < best[0]:
            best = (key, route, captured)
    if best is None:
        raise ValueError(f"No matching route found for: {url}")
    return best[1], best[2], query


def patch_route_matching() -> None:
    from chalice import local

    if getattr(local.RouteMatcher.match_route, "_stockroom_patched", False):
        return

    def match(self: Any, url: str) -> Any:
        route, captured, query = match_route(self.route_urls, url)
        return local.MatchResult(route, captured, query)

    match._stockroom_patched = True  # type: ignore[attr-defined]
    local.RouteMatcher.match_route = match  # type: ignore[method-assign]


def patch_stage_environment() -> None:
    """The stage's loopback origins follow the site's port (`devstack.env.port_overrides`).

    `chalice local` copies the stage's variables from config.json over the process environment
    before importing app.py, so the devstack cannot set them from outside; this corrects them as
    they are copied.
    """
    from chalice.cli.factory import CLIFactory

    from devstack.env import Ports, port_overrides

    original = CLIFactory.load_chalice_app
    if getattr(original, "_stockroom_patched", False):
        return

    def load_chalice_app(self: Any, environment_variables: Any = None, validate_feature_flags: Any = True) -> Any:
        if environment_variables is not None:
            environment_variables = dict(environment_variables)
            environment_variables.update(port_overrides(environment_variables, Ports.from_env()))
        return original(self, environment_variables, validate_feature_flags)

    load_chalice_app._stockroom_patched = True  # type: ignore[attr-defined]
    CLIFactory.load_chalice_app = load_chalice_app  # type: ignore[method-assign]
