"""Suggested articles at the desk come from the real index (technician-only ones included), with site URLs."""

from __future__ import annotations

import pytest
from web_fixtures import Browser, app_on_built_site, new_ticket

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def app(built_kb_site, tmp_path_factory):
    application = app_on_built_site(built_kb_site, tmp_path_factory.mktemp("suggest-desk"))
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


def test_the_article_picker_lists_the_suggested_articles_first_then_every_other_once(app):
    import re

    text = "BitLocker demande la clé de récupération au démarrage du portable"
    ticket = new_ticket(app, "employee_a", title="Écran BitLocker au démarrage", description=text)
    page = Browser(app, "n1").get(f"/desk/tickets/{ticket}").text
    suggested = re.findall(r'data-search="[^"]*"><input type="checkbox" name="articles" value="([^"]+)"',
                           page.split('id="suggested"')[0].split("Suggérées pour ce ticket")[1].split("Toutes les fiches")[0])
    picker = page.split('id="article-picker"')[1].split("</fieldset>")[0]
    everything = re.findall(r'name="articles" value="([^"]+)"', picker)
    assert suggested and everything[:len(suggested)] == suggested
    assert "bitlocker-ecran-recuperation" in suggested and len(everything) == len(set(everything))
