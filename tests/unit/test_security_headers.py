"""The security headers' content (common/security_headers.py), without a server."""
from common.security_headers import headers, policy


def directives(csp: str) -> dict[str, str]:
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in csp.split("; ")}


def test_a_page_runs_only_this_servers_scripts_and_its_own_nonced_blocks():
    d = directives(policy("inventory.depot_tree", "abc"))
    assert d["script-src"] == "'self' 'nonce-abc'" and d["style-src"] == "'self' 'nonce-abc'"
    assert d["frame-ancestors"] == "'none'" and d["object-src"] == "'none'" and d["default-src"] == "'self'"
    assert "unsafe-inline" not in policy("inventory.depot_tree", "abc")


def test_only_the_scanning_page_may_compile_webassembly():
    assert "'wasm-unsafe-eval'" in directives(policy("scan.page", None))["script-src"]
    assert "wasm" not in policy("inventory.depot_tree", None)
    assert directives(policy("scan.page", None))["worker-src"] == "'self'"  # its service worker


def test_the_swagger_ui_page_alone_allows_inline_script_and_style():
    d = directives(policy("api-docs.openapi_swagger_ui", None))
    assert "'unsafe-inline'" in d["script-src"] and "'unsafe-inline'" in d["style-src"]
    assert d["frame-ancestors"] == "'none'"


def test_hsts_is_sent_only_over_https_and_the_camera_is_allowed_for_this_site():
    plain, secure = headers("x", None, https=False), headers("x", None, https=True)
    assert "Strict-Transport-Security" not in plain and secure["Strict-Transport-Security"].startswith("max-age=")
    assert plain["X-Content-Type-Options"] == "nosniff" and plain["Referrer-Policy"] == "same-origin"
    assert "camera=(self)" in plain["Permissions-Policy"] and "microphone=()" in plain["Permissions-Policy"]
