"""The HTTP adapters: the JSON API, the pages, the no-JS form and the built site, on one Flask app."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register error mapping, identity, the API, the pages and, last, the site's catch-all."""
    from ticket_service.auth import identity
    from ticket_service.http import api, banner, errors, health, i18n, prometheus, proxy, request_log, security_headers, site, web
    from ticket_service.http.api import events, help_tickets, metrics, suggest  # noqa: F401  (routes on events.bp)
    from ticket_service.http.web import help_form

    proxy.init_app(app)
    request_log.init_app(app)  # first of the request hooks: every later one, and errors, see the id
    errors.init_app(app)
    identity.init_app(app)
    app.register_blueprint(health.bp)
    prometheus.init_app(app)
    api.init_app(app)
    suggest.init_app(app)
    i18n.init_app(app)
    security_headers.init_app(app)
    web.init_app(app)
    events.init_app(app)
    banner.init_app(app)
    app.register_blueprint(events.bp)
    app.register_blueprint(help_form.bp)
    app.register_blueprint(site.bp)  # last: its catch-all route serves the built site
