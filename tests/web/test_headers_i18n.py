"""Security headers on every kind of response (I-12), and the languages of the pages."""

from __future__ import annotations

import pytest

from ticket_service.http.i18n import SOURCE, compile_catalogues
from ticket_service.http.security_headers import PAGES_CSP, SITE_CSP


@pytest.fixture(scope="module")
def built_site(app):
    site = app.config["SITE_DIR"]
    from pathlib import Path

    Path(site).mkdir(parents=True, exist_ok=True)
    (Path(site) / "index.html").write_text("<html lang=fr><script>var x=1</script></html>", encoding="utf-8")
    return site


@pytest.mark.parametrize("role, path", [(None, "/connexion"), ("employee_a", "/mes-demandes"), ("n1", "/desk"),
                                        ("n1", "/desk/fiches"), ("employee_a", "/desk"), ("employee_a", "/mes-demandes/999999"),
                                        (None, "/static/guichet.css")])
def test_pages_have_strict_headers(browser, role, path):
    response = browser(role).get(path)
    csp = response.headers["Content-Security-Policy"]
    assert csp == PAGES_CSP and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    if not path.startswith("/static"):
        assert response.headers["Cache-Control"] == "no-store"
    response.close()  # static files are streamed from disk


def test_site_pages_get_their_own_policy(browser, built_site):
    response = browser().get("/")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == SITE_CSP and "frame-ancestors 'none'" in SITE_CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()


def test_api_keeps_its_own_policy(browser):
    response = browser().get("/api/v1/session")
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_english_on_request_and_remembered(app):
    client = app.test_client()
    assert "Se connecter" in client.get("/connexion").text
    english = client.get("/connexion?lang=en")
    assert '<html lang="en">' in english.text and "Sign in" in english.text
    assert "Sign in" in client.get("/connexion").text  # the cookie keeps the choice
    assert "Se connecter" in client.get("/connexion?lang=fr").text
    assert "Se connecter" in client.get("/connexion?lang=xx").text


def test_catalogues_compile_and_skip_when_fresh(tmp_path):
    written = compile_catalogues(SOURCE, tmp_path)
    assert sorted(str(p.relative_to(tmp_path)) for p in written) == ["en/LC_MESSAGES/messages.mo", "fr/LC_MESSAGES/messages.mo"]
    assert compile_catalogues(SOURCE, tmp_path) == []


def test_english_catalogue_covers_every_page_string(tmp_path):
    import subprocess
    import sys

    from babel.messages.pofile import read_po
    from tshelpers import ROOT

    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "ticket_service/babel.cfg",
                    "-k", "_l", "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    with (SOURCE / "en" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        translated = {m.id for m in read_po(handle) if m.id and m.string}
    assert wanted - translated == set(), "run pybabel extract and translate the new strings"


def test_page_dates_follow_the_organisation_time_zone_of_helpdesk_yml(tmp_path):
    from datetime import datetime, timezone

    from tshelpers import ROOT, app_config

    from ticket_service import build_app

    noon_utc = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
    shown = {}
    for zone in ("Europe/Paris", "America/Guadeloupe"):
        config = tmp_path / f"{zone.replace('/', '-')}.yml"
        text = (ROOT / "helpdesk.yml").read_text(encoding="utf-8")
        assert "organisation:\n  name: Ferrand & Associés\n  timezone: Europe/Paris\n" in text
        config.write_text(text.replace("  timezone: Europe/Paris\n", f"  timezone: {zone}\n", 1), encoding="utf-8")
        app = build_app(app_config(f"sqlite:///{tmp_path / 'unused.sqlite3'}", tmp_path, HELPDESK_CONFIG=str(config),
                                   TRANSLATIONS_BUILD_DIR=str(tmp_path / "mo")))
        with app.test_request_context("/"):
            shown[zone] = app.jinja_env.filters["when"](noon_utc)
    assert "13:00" in shown["Europe/Paris"] and "08:00" in shown["America/Guadeloupe"], shown


def test_the_default_page_language_is_the_organisation_locale(tmp_path):
    from tshelpers import ROOT, app_config

    from ticket_service import build_app

    config = tmp_path / "helpdesk.yml"
    text = (ROOT / "helpdesk.yml").read_text(encoding="utf-8")
    config.write_text(text.replace("  locale: fr_FR\n", "  locale: en_GB\n", 1), encoding="utf-8")
    app = build_app(app_config(f"sqlite:///{tmp_path / 'unused.sqlite3'}", tmp_path, HELPDESK_CONFIG=str(config),
                               TRANSLATIONS_BUILD_DIR=str(tmp_path / "mo")))
    assert app.config["BABEL_DEFAULT_LOCALE"] == "en_GB"
    client = app.test_client()
    assert '<html lang="en">' in client.get("/connexion").text
    assert '<html lang="fr">' in client.get("/connexion?lang=fr").text
