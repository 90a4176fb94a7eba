"""Security headers on every answer, set in one place (``register(app)`` from app.py).

- ``Content-Security-Policy``: scripts, styles, images, connections and workers from this server only.
  The few inline ``<script>`` / ``<style>`` blocks that remain carry the request's nonce
  (``{{ csp_nonce() }}`` in a template); no inline event handlers or ``style=""`` attributes (a page that
  had them uses a static file or a class). The scanning page adds ``'wasm-unsafe-eval'`` for the QR
  decoder's WebAssembly; the Swagger UI page of the API (flask-smorest's own template with an inline
  script and styles) gets a policy of its own that allows them there only. ``frame-ancestors 'none'``: no
  page may be framed (clickjacking).
- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin`` (addresses carry depot and lot
  codes: not sent to other sites), ``Permissions-Policy`` (the camera for this site only, the rest off),
  ``Cross-Origin-Opener-Policy: same-origin``.
- ``Strict-Transport-Security`` only when served over HTTPS (``HTTPS=1``, common/serving.py, or a request
  that arrived over TLS): a plain-HTTP installation must not tell browsers to insist on HTTPS.
"""
import secrets

from flask import Flask, g, request

# flask-smorest's Swagger UI page: an inline script starts it and Swagger UI sets inline styles.
DOCS_ENDPOINTS = {"api-docs.openapi_swagger_ui"}
WASM_ENDPOINTS = {"scan.page"}  # the barcode decoder compiles WebAssembly
HSTS = "max-age=31536000"  # a year; no includeSubDomains: the bureau's other hosts are not ours to decide


def csp_nonce() -> str:
    """This request's nonce for an inline <script> or <style> block (the same all through one answer)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def allow_images_from(origin: str) -> None:
    """Lets this answer's page load images from ``origin`` too (the map's tile server, set by an administrator)."""
    g.csp_image_origins = [*g.get("csp_image_origins", []), origin]


def policy(endpoint: str | None, nonce: str | None, image_origins: list[str] | tuple = ()) -> str:
    if endpoint in DOCS_ENDPOINTS:
        script = style = "'self' 'unsafe-inline'"
    else:
        with_nonce = f" 'nonce-{nonce}'" if nonce else ""
        script = "'self'" + with_nonce + (" 'wasm-unsafe-eval'" if endpoint in WASM_ENDPOINTS else "")
        style = "'self'" + with_nonce
    return "; ".join((
        "default-src 'self'",
        f"script-src {script}",
        f"style-src {style}",
        " ".join(["img-src 'self' data: blob:", *image_origins]),
        "media-src 'self' blob: mediastream:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


def headers(endpoint: str | None, nonce: str | None, https: bool, image_origins=()) -> dict[str, str]:
    answer = {
        "Content-Security-Policy": policy(endpoint, nonce, image_origins),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": "camera=(self), microphone=(), geolocation=(), payment=(), usb=()",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if https:
        answer["Strict-Transport-Security"] = HSTS
    return answer


def register(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def security_headers(response):
        https = bool(app.config.get("HTTPS")) or request.is_secure
        for name, value in headers(request.endpoint, g.get("csp_nonce"), https, g.get("csp_image_origins", ())).items():
            response.headers.setdefault(name, value)
        return response
