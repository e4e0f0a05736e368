"""Suggested articles at the desk come from the real index (technician-only ones included), with site URLs."""

from __future__ import annotations

import pytest
from web_fixtures import Browser, new_ticket
from tshelpers import FAST_HASH, PASSWORD, app_config

from ticket_service import create_app
from ticket_service.db import Database, upgrade
from ticket_service.demo import ensure_people

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def app(built_kb_site, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("suggest-desk")
    url = f"sqlite:///{tmp / 'guichet.sqlite3'}"
    upgrade(Database(url))
    build = built_kb_site / "build"
    application = create_app(app_config(url, tmp, INDEX_DIR=str(build / "index"), MANIFEST_PATH=str(build / "manifest.json"),
                                        SITE_DIR=str(build / "site"), TRANSLATIONS_BUILD_DIR=str(tmp / "mo")))
    with application.app_context(), application.extensions["guichet_db"].write() as session:
        ensure_people(session, PASSWORD, FAST_HASH)
    yield application
    application.extensions["guichet_db"].dispose()


def test_desk_suggests_technician_articles_that_employees_never_get(app):
    text = "BitLocker demande la clé de récupération au démarrage du portable"
    ticket = new_ticket(app, "employee_a", title="Écran BitLocker au démarrage", description=text)
    page = Browser(app, "n1").get(f"/desk/tickets/{ticket}")
    suggested = page.text.split('id="suggested"')[1].split("</section>")[0]
    assert "bitlocker-ecran-recuperation" in suggested and 'href="/poste-de-travail/' in suggested
    assert "bitlocker-recuperer-cle-intune" in suggested and "technicien" in suggested  # internal article, desk only
    employee = Browser(app, "employee_a").get("/api/v1/suggest", query_string={"q": text, "k": 10}).get_json()
    assert "bitlocker-recuperer-cle-intune" not in [s["id"] for s in employee["suggestions"]]


def test_site_pages_are_served_with_the_site_policy(app):
    response = app.test_client().get("/")
    assert response.status_code == 200 and "'unsafe-inline'" in response.headers["Content-Security-Policy"]
    response.close()
