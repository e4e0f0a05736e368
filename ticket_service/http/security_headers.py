"""Security headers on every response outside /api (the API sets its own, stricter ones)."""

from __future__ import annotations

from flask import Flask, request

from ticket_service.http.errors import is_api_path

# Desk, portal and sign-in pages: no inline script or style at all, only our own static files.
PAGES_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
             "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# The MkDocs Material site served at / ships inline scripts (theme bootstrap, palette, the search
# configuration) whose content changes with every build and plugin; hashing them would have to be
# recomputed at each build. The site has no forms posting anywhere and shows only reviewed KB text,
# so it gets 'unsafe-inline' for scripts and styles, still same-origin only, never framed.
SITE_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def _headers(response):
    if is_api_path(request.path):
        return response  # api/__init__.py: default-src 'none', no-store
    site = request.endpoint == "site.page"
    response.headers.setdefault("Content-Security-Policy", SITE_CSP if site else PAGES_CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if not site and request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")  # ticket pages hold personal data
    return response


def init_app(app: Flask) -> None:
    """Add the headers to every response, errors included."""
    app.after_request(_headers)
