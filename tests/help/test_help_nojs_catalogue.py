"""The no-JavaScript form with the service catalogue: choose an item (a GET), then its fields, checked by the service."""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone

import pytest

from ticket_service.store.models import Ticket
from tshelpers import PASSWORD, ROLES, domain_clock

NOW = datetime(2025, 12, 3, 9, 0, tzinfo=timezone.utc)  # a Wednesday morning in Paris


@pytest.fixture(autouse=True)
def fixed_clock(app):
    with domain_clock(app, NOW):
        yield


def token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_the_form_offers_the_catalogue_then_the_chosen_items_fields(app):
    client = app.test_client()
    page = client.get("/aide/formulaire").get_data(as_text=True)
    assert re.search(r'<form method="get" action="/aide/formulaire">', page)
    assert 'name="item" value="acces-dossier"' in page and "Accès à un dossier partagé" in page
    chosen = client.get("/aide/formulaire?item=acces-dossier&titre=Dossier%20du%20projet").get_data(as_text=True)
    assert '<input type="hidden" name="catalogue_item" value="acces-dossier">' in chosen
    assert '<input type="hidden" name="type" value="access_request">' in chosen
    assert re.search(r'<label for="if-chemin">Chemin complet du dossier \(obligatoire\)</label>', chosen)
    assert re.search(r'name="item.niveau" value="lecture"[^>]*required> Lecture \(consulter, copier\)', chosen)
    assert re.search(r'id="if-jusqu_au" name="item.jusqu_au" value=""\s+type="date"\s+min="2025-12-03"', chosen)
    assert 'value="Dossier du projet"' in chosen and "d'abord validée" in html.unescape(chosen)
    assert 'name="type" value="incident"' not in chosen  # the item gives the type


def test_an_unknown_item_is_a_404_that_still_offers_the_catalogue(app):
    response = app.test_client().get("/aide/formulaire?item=acces-%3Cscript%3E")
    page = response.get_data(as_text=True)
    assert response.status_code == 404 and "n'existe pas dans le catalogue" in html.unescape(page)
    assert 'name="item" value="materiel"' in page and "<script>" not in page


def test_the_short_address_leads_to_the_help_page_with_the_item(app):
    response = app.test_client().get("/aide?item=acces-dossier")
    assert response.status_code == 302 and response.headers["Location"] == "/demander-de-l-aide/?item=acces-dossier"


def test_the_service_refuses_a_field_at_fault_and_the_form_keeps_the_answers(app, database):
    client = app.test_client()
    page = client.get("/aide/formulaire?item=acces-dossier").get_data(as_text=True)
    form = {"csrf_token": token(page), "form_key": "cle-catalogue-0001", "email": ROLES["employee_b"],
            "password": PASSWORD, "catalogue_item": "acces-dossier", "type": "access_request",
            "title": "Accès au dossier du groupe scolaire", "description": "",
            "item.chemin": r"P:\2026\26-041 <Groupe> scolaire", "item.niveau": "ecriture", "item.jusqu_au": "2025-12-01",
            "item.responsable": ""}
    wrong = client.post("/aide/formulaire", data=form)
    page = wrong.get_data(as_text=True)
    text = html.unescape(page)
    assert wrong.status_code == 422
    assert re.search(r"Niveau d'accès \(obligatoire\)</legend> <em>choisissez une des options proposées</em>", text)
    assert re.search(r"Jusqu'au</label> <em>pas avant le 03/12/2025</em>", text)
    assert re.search(r"Responsable du dossier \(obligatoire\)</label> <em>champ obligatoire</em>", text)
    assert r'value="P:\2026\26-041 &lt;Groupe&gt; scolaire"' in page  # kept, escaped
    form.update({"csrf_token": token(page), "item.niveau": "modification", "item.jusqu_au": "",
                 "item.responsable": "Marc Dubois"})
    done = client.post("/aide/formulaire", data=form)
    body = html.unescape(done.get_data(as_text=True))
    assert done.status_code == 201, body
    assert "attend d'abord la validation de\n    1 valideur désigné" in body
    number = int(re.search(r"Demande n° (\d+) créée", body).group(1))
    with database.reader() as db:
        ticket = db.get(Ticket, number)
        assert (ticket.type, ticket.status, ticket.catalogue_item) == ("access_request", "awaiting_approval", "acces-dossier")
        assert ticket.item_fields == {"chemin": r"P:\2026\26-041 <Groupe> scolaire", "niveau": "modification",
                                      "responsable": "Marc Dubois"}
        assert ticket.description == ticket.title  # no details given: the item's fields say what is asked


def test_an_item_that_fixes_its_priority_asks_no_urgency(app):
    page = app.test_client().get("/aide/formulaire?item=materiel").get_data(as_text=True)
    assert 'name="urgency"' not in page and 'name="impact"' not in page
    assert 'name="urgency"' in app.test_client().get("/aide/formulaire?item=boite-ou-liste").get_data(as_text=True)
