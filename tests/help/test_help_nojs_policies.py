"""The no-JavaScript form takes its wording and its time zone from helpdesk.yml, not from the code."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest

from ticket_service import create_app
from ticket_service.store.models import Ticket
from tshelpers import PASSWORD, ROLES, ROOT, app_config

MONTREAL = ZoneInfo("America/Montreal")


@pytest.fixture(scope="module")
def app(db_url, tmp_path_factory):
    """The app on a helpdesk.yml of a company in Montréal whose form words one choice its own way."""
    tmp = tmp_path_factory.mktemp("montreal")
    text = (ROOT / "helpdesk.yml").read_text(encoding="utf-8")
    for old, new in [("  timezone: Europe/Paris", "  timezone: America/Montreal"),
                     ("    low: Moi seulement", "    low: Juste moi, au bureau de Montréal"),
                     ("    service_request: J'ai besoin de quelque chose", "    service_request: Il me manque un outil")]:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    (tmp / "helpdesk.yml").write_text(text, encoding="utf-8")
    application = create_app(app_config(db_url, tmp, HELPDESK_CONFIG=str(tmp / "helpdesk.yml")))
    yield application
    application.extensions["guichet_db"].dispose()


def token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_the_form_shows_the_labels_of_helpdesk_yml(app):
    page = app.test_client().get("/aide/formulaire").get_data(as_text=True)
    assert re.search(r'name="impact" value="low"[^>]*>\s*Juste moi, au bureau de Montréal', page)
    assert re.search(r'name="type" value="service_request"[^>]*>\s*Il me manque un outil', page)
    assert "Moi seulement" not in page and "J'ai besoin de quelque chose" not in page


def test_the_due_date_is_shown_in_the_organisation_time_zone(app, database):
    client = app.test_client()
    page = client.get("/aide/formulaire").get_data(as_text=True)
    done = client.post("/aide/formulaire", data={
        "csrf_token": token(page), "form_key": "cle-montreal-0001", "email": ROLES["employee_b"], "password": PASSWORD,
        "title": "Écran noir à Montréal", "description": "Le poste ne démarre plus.", "urgency": "high", "impact": "low",
        "type": "incident"})
    assert done.status_code == 201, done.get_data(as_text=True)
    body = done.get_data(as_text=True)
    number = int(re.search(r"Demande n° (\d+) créée", body).group(1))
    with database.reader() as db:
        due = db.get(Ticket, number).first_response_due
    shown = re.search(r"au plus tard le <strong>([^<]+)</strong>", body).group(1)
    assert shown == due.astimezone(MONTREAL).strftime("%d/%m/%Y à %H h %M")
    assert shown != due.astimezone(ZoneInfo("Europe/Paris")).strftime("%d/%m/%Y à %H h %M")
