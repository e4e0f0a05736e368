"""Page languages: the organisation's (helpdesk.yml) by default, others on request; catalogues compiled at start-up."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, g, request
from flask_babel import Babel

from search import Organisation

SOURCE = Path(__file__).resolve().parent.parent / "translations"  # ticket_service/translations
COOKIE = "guichet_lang"


def compile_catalogues(source: Path, target: Path) -> list[Path]:
    """Compile every ``<lang>/LC_MESSAGES/messages.po`` under source into target when stale; return the .mo paths."""
    written = []
    for po in sorted(source.glob("*/LC_MESSAGES/messages.po")):
        mo = target / po.relative_to(source).with_suffix(".mo")
        if mo.is_file() and mo.stat().st_mtime_ns >= po.stat().st_mtime_ns:
            continue
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=po.parts[-3])
        # Written aside then renamed: several processes may start at once.
        fd, tmp = tempfile.mkstemp(dir=mo.parent, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as handle:
            write_mo(handle, catalog)
        os.replace(tmp, mo)
        written.append(mo)
    return written


def select_locale() -> str:
    """Return ?lang=, else the language cookie, else the organisation's language (helpdesk.yml) when offered."""
    languages = current_app.config["LANGUAGES"]
    wanted = request.args.get("lang") or request.cookies.get(COOKIE)
    if wanted in languages:
        g.guichet_lang = wanted
        return wanted
    return default_language(current_app)


def default_language(app: Flask) -> str:
    """Return the language of organisation.locale if the pages offer it, else the first of LANGUAGES."""
    language = str(app.config["BABEL_DEFAULT_LOCALE"]).split("_")[0]
    return language if language in app.config["LANGUAGES"] else app.config["LANGUAGES"][0]


def _remember_language(response):
    """Keep a ?lang= choice in a cookie (a preference, not an authorisation)."""
    wanted = request.args.get("lang")
    if wanted in current_app.config["LANGUAGES"] and request.cookies.get(COOKIE) != wanted:
        response.set_cookie(COOKIE, wanted, max_age=365 * 86400, samesite="Lax", httponly=True,
                            secure=bool(current_app.config["COOKIE_SECURE"]))
    return response


def init_app(app: Flask) -> None:
    """Compile the catalogues and install Flask-Babel with the locale selector."""
    target = Path(app.config.get("TRANSLATIONS_BUILD_DIR") or Path(app.instance_path) / "translations")
    compile_catalogues(SOURCE, target)
    # Dates and the default language come from helpdesk.yml's organisation block, which runtime.init_app validated.
    context = app.extensions.get("guichet_context")
    organisation = context.policies.organisation if context else Organisation()
    app.config.setdefault("BABEL_DEFAULT_LOCALE", organisation.locale)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", organisation.timezone)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(target)
    Babel(app, locale_selector=select_locale)
    app.after_request(_remember_language)
