"""Behind a reverse proxy: trust PROXY_COUNT hops of X-Forwarded-For/Proto/Host (werkzeug's ProxyFix)."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from ticket_service.domain.policies import PolicyError


def proxy_count(config) -> int:
    """Return the configured number of trusted proxies; a bad value stops the start-up, named."""
    value = config.get("PROXY_COUNT", 0)
    try:
        count = int(value)
    except (TypeError, ValueError):
        count = -1
    if not 0 <= count <= 10:
        raise PolicyError(f"PROXY_COUNT: {value!r} is not a number of proxies: set 0 (no proxy, the default), "
                          "1 for nginx in front, 2 for a load balancer then nginx.")
    return count


def init_app(app: Flask) -> None:
    """Wrap the app so request.remote_addr, scheme and host are the client's as the trusted proxies saw them.

    Only the last ``count`` hops are read: an address a client writes itself in X-Forwarded-For is never trusted.
    """
    count = proxy_count(app.config)
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def direct_peer() -> str | None:
    """Return the address of the host that opened the connection (the proxy itself), whatever PROXY_COUNT says."""
    original = request.environ.get("werkzeug.proxy_fix.orig") or {}
    return original.get("REMOTE_ADDR") or request.remote_addr
