"""Issue 5 wiring: help-session events, deflection metrics, the no-JS request form and the banner cache."""

from __future__ import annotations

from flask import Flask

from .events import EventLimiter


def init_app(app: Flask) -> None:
    """Register the help API blueprint, the no-JS form and the per-session event limiter."""
    from . import banner, help_form
    from .api import events, help_tickets, metrics  # noqa: F401  (routes on events.bp)

    app.extensions["guichet_event_limiter"] = EventLimiter(int(app.config["EVENTS_PER_MINUTE"]))
    banner.init_app(app)
    app.register_blueprint(events.bp)
    app.register_blueprint(help_form.bp)
