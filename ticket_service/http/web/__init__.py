"""Server-rendered pages: sign-in, the employee portal and the technician desk (no front-end build step)."""

from __future__ import annotations

from babel.dates import format_skeleton
from flask import Flask, render_template
from flask_babel import format_datetime, format_decimal, format_percent, get_locale
from flask_babel import gettext as _
from flask_babel import to_user_timezone
from flask_wtf.csrf import CSRFError

from ticket_service.auth.identity import current_user, is_staff
from ticket_service.domain.errors import DomainError
from ticket_service.http.web import (
    admin, admin_webhooks, auth_pages, common, desk, desk_ticket, kb_drafts, learning, mail_links, pilotage, portal, rich_text,
    sso,
)
from ticket_service.http.web import quarantine

BLUEPRINTS = (auth_pages.bp, portal.bp, desk.bp, desk_ticket.bp, kb_drafts.bp, learning.bp, admin.bp, pilotage.bp,
              mail_links.bp, sso.bp, quarantine.bp)


def _when(value, fmt="short"):
    """Format an aware UTC datetime in the company's timezone and the page's language."""
    return format_datetime(value, fmt) if value is not None else "—"


def _number(value, fmt=None):
    """Format a number in the page's language: « 1 234,5 » in French (narrow no-break space), « 1,234.5 » in English."""
    return format_decimal(value, fmt) if value is not None else "—"


def _percent(value):
    """Format a share (0.87) as a percentage in the page's language: « 87 % » in French, « 87% » in English."""
    return format_percent(value) if value is not None else "—"


def _hours(value):
    """Format hours with at most one decimal, joined to their unit: « 8 h », « 45,5 h » (never « 8.0 h »)."""
    return f"{format_decimal(value, '#,##0.#')}\u00a0h" if value is not None else "—"


def _size(size: int):
    """Format a file size in the page's language: « 980 o », « 12,3 Ko », « 4,1 Mo » (« KB », « MB » in English)."""
    if size < 1024:
        amount, unit = format_decimal(size), _("o")
    elif size < 1024 * 1024:
        amount, unit = format_decimal(size / 1024, "#,##0.#"), _("Ko")
    else:
        amount, unit = format_decimal(size / 1024 / 1024, "#,##0.#"), _("Mo")
    return f"{amount}\u00a0{unit}"


def _day(value):
    """Format an aware UTC datetime as day and month in the company's timezone: « 30/11 » (« 11/30 » in English)."""
    if value is None:
        return "—"
    return format_skeleton("dM", to_user_timezone(value), locale=get_locale())


def _page_error(code: int):
    def handler(exc):
        if isinstance(exc, CSRFError):
            return render_template("error.html", code=400, csrf=True), 400
        return render_template("error.html", code=code), code
    return handler


for _bp in BLUEPRINTS:  # once per process: blueprints are module-level, apps are many (tests)
    # Domain refusals raised inside a page become a flash message or an HTML 403/404, never the JSON envelope.
    _bp.register_error_handler(DomainError, common.handle_domain_error)
    for _code in (400, 403, 404, 405):
        _bp.register_error_handler(_code, _page_error(_code))


def init_app(app: Flask) -> None:
    """Register the pages (before the site's catch-all) and their template helpers."""
    for bp in BLUEPRINTS:
        app.register_blueprint(bp)
    app.jinja_env.filters["when"] = _when
    app.jinja_env.filters["day"] = _day
    app.jinja_env.filters.update(number=_number, percent=_percent, hours=_hours, size=_size)  # Babel, page's locale
    app.jinja_env.filters["rich"] = rich_text.render  # Markdown, raw HTML as text, nh3-sanitised
    app.jinja_env.globals["page_lang"] = lambda: str(get_locale() or "fr")
    app.jinja_env.globals.update(STATUS_LABELS=common.STATUS_LABELS, TYPE_LABELS=common.TYPE_LABELS,
                                 FIELD_LABELS=common.FIELD_LABELS, sla_history_value=common.sla_history_value)

    def _decides(user) -> bool:
        """True for whom « À valider » has a use: approvers, and managers of `approvers: [manager]` requests."""
        from ticket_service.domain.approvals import decides_as_manager
        from ticket_service.runtime import get_ctx, get_session

        if user is None:
            return False
        return user.role == "approver" or decides_as_manager(get_session(), get_ctx(), user)

    @app.context_processor
    def _who():
        from ticket_service.runtime import get_ctx
        user = current_user()
        return {"me": user, "me_staff": is_staff(user), "policies": get_ctx().policies,
                "me_decides": _decides(user)}
