"""POST /api/v1/tickets with a catalogue item: its fields checked per type (422 per field), answers kept and shown."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tshelpers import Api, domain_clock

# Wednesday 3 December 2025, 10:00 in Paris: « today » for the fields' earliest dates.
NOW = datetime(2025, 12, 3, 9, 0, tzinfo=timezone.utc)
SOFTWARE = {"logiciel": "QGIS 3.34", "usage": "Cartes des réseaux pour le chantier de Vénissieux.", "payant": "non"}


@pytest.fixture(autouse=True)
def fixed_clock(app):
    with domain_clock(app, NOW):
        yield


def request_item(client: Api, item: str, answers: dict | None, **extra):
    body = {"title": "Une demande du catalogue", "description": "Détails de la demande.", "type": "service_request",
            "catalogue_item": item, **extra}
    if answers is not None:
        body["item_fields"] = answers
    return client.post("/api/v1/tickets", json=body)


def test_the_policies_give_the_form_the_catalogue_before_sign_in(api):
    response = Api(api(None).client.application).get("/api/v1/policies")
    assert response.status_code == 200
    body = response.get_json()
    items = {item["id"]: item for item in body["catalogue"]}
    assert items["acces-dossier"]["type"] == "access_request" and items["acces-dossier"]["quorum"] == 1
    assert "approvers" not in items["acces-dossier"]  # who decides is not the anonymous page's business
    fields = {f["id"]: f for f in items["installation-logiciel"]["fields"]}
    assert fields["postes"] == {"id": "postes", "label": "Nombre de postes", "type": "number", "required": False,
                                "help": "", "options": [], "max_length": None, "min": 1, "max": 50, "min_days": None}
    assert fields["payant"]["options"][0] == {"id": "non", "label": "Non, il est gratuit"}
    assert items["materiel"]["priority"] == "P4" and body["timezone"] == "Europe/Paris"
    assert [i["id"] for i in body["catalogue"]][:3] == ["materiel", "installation-logiciel", "boite-ou-liste"]


def test_a_service_request_keeps_its_typed_answers_category_and_fixed_priority(api):
    response = request_item(api("employee_a"), "materiel", {
        "materiel": "ecran", "date_besoin": "2025-12-10", "motif": "  Plans sur deux écrans.  ", "pour_qui": ""},
        urgency="high", impact="high")
    assert response.status_code == 201, response.get_json()
    ticket = response.get_json()
    assert ticket["type"] == "service_request" and ticket["catalogue_item"] == "materiel" and ticket["status"] == "new"
    assert ticket["item_fields"] == {"materiel": "ecran", "date_besoin": "2025-12-10", "motif": "Plans sur deux écrans."}
    assert ticket["category"] == "poste-de-travail"  # the item's, for the queue
    assert ticket["priority"] == "P4"  # the item fixes it: high × high would have been P1
    again = api("employee_a").get(f"/api/v1/tickets/{ticket['id']}").get_json()
    assert again["item_fields"] == ticket["item_fields"]


def test_numbers_from_a_form_are_stored_as_numbers(api):
    response = request_item(api("employee_a"), "installation-logiciel", {**SOFTWARE, "postes": "3"})
    assert response.status_code == 201 and response.get_json()["item_fields"]["postes"] == 3
    response = request_item(api("employee_a"), "installation-logiciel", {**SOFTWARE, "postes": 4})
    assert response.status_code == 201 and response.get_json()["item_fields"]["postes"] == 4


FIELD_ERRORS = [  # (item, answers, field at fault, message)
    ("installation-logiciel", {"usage": "x", "payant": "non"}, "logiciel", "champ obligatoire"),
    ("installation-logiciel", {**SOFTWARE, "logiciel": "   "}, "logiciel", "champ obligatoire"),
    ("installation-logiciel", {**SOFTWARE, "logiciel": "L" * 121}, "logiciel", "au plus 120 caractères"),
    ("installation-logiciel", {**SOFTWARE, "payant": "peut-etre"}, "payant", "choisissez une des options proposées"),
    ("installation-logiciel", {**SOFTWARE, "postes": 0}, "postes", "au moins 1"),
    ("installation-logiciel", {**SOFTWARE, "postes": 51}, "postes", "au plus 50"),
    ("installation-logiciel", {**SOFTWARE, "postes": 2.5}, "postes", "nombre entier attendu"),
    ("installation-logiciel", {**SOFTWARE, "postes": "trois"}, "postes", "nombre entier attendu"),
    ("installation-logiciel", {**SOFTWARE, "date_besoin": "10/12/2025"}, "date_besoin", "date attendue (AAAA-MM-JJ)"),
    ("installation-logiciel", {**SOFTWARE, "date_besoin": "2025-02-30"}, "date_besoin", "date attendue (AAAA-MM-JJ)"),
    ("installation-logiciel", {**SOFTWARE, "date_besoin": "2025-12-02"}, "date_besoin", "pas avant le 03/12/2025"),
    ("installation-logiciel", {**SOFTWARE, "inconnu": "x"}, "inconnu", "champ inconnu pour cette demande"),
    ("boite-ou-liste", {"nature": "liste", "adresse": "chantier-venissieux", "membres": "a@b.fr",
                        "responsable": "claire.rousseau@ferrand-associes.fr"}, "adresse", "adresse e-mail attendue"),
    ("installation-logiciel", {**SOFTWARE, "usage": 12}, "usage", "texte attendu"),
]


@pytest.mark.parametrize("item, answers, field, message", FIELD_ERRORS,
                         ids=[f"{field}-{message[:20]}" for _, _, field, message in FIELD_ERRORS])
def test_each_field_at_fault_is_a_422_naming_it(api, item, answers, field, message):
    response = request_item(api("employee_a"), item, answers)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["fields"][f"item_fields.{field}"].startswith(message)
    assert len(error["fields"]) == 1, error["fields"]


def test_every_field_at_fault_is_named_at_once(api):
    response = request_item(api("employee_a"), "boite-ou-liste", {"nature": "autre", "adresse": "x"})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "item_fields.nature": "choisissez une des options proposées",
        "item_fields.adresse": "adresse e-mail attendue (prenom.nom@exemple.fr)",
        "item_fields.membres": "champ obligatoire", "item_fields.responsable": "champ obligatoire"}


def test_an_item_and_its_type_go_together(api):
    client = api("employee_a")
    incident = request_item(client, "materiel", None, type="incident")
    assert incident.status_code == 422 and "type" in incident.get_json()["error"]["fields"]
    access = request_item(client, "acces-dossier", None)  # an access item asked as a service request
    assert access.status_code == 422 and "une demande d'accès" in access.get_json()["error"]["message"]
    loose = client.post("/api/v1/tickets", json={"title": "Sans élément", "description": "Des champs sans élément.",
                                                 "type": "service_request", "item_fields": {"materiel": "ecran"}})
    assert loose.status_code == 422 and "item_fields" in loose.get_json()["error"]["fields"]
    shape = request_item(client, "materiel", ["ecran"])
    assert shape.status_code == 422 and "item_fields" in shape.get_json()["error"]["fields"]
    nested = request_item(client, "materiel", {"materiel": {"id": "ecran"}})
    assert nested.status_code == 422 and "item_fields" in nested.get_json()["error"]["fields"]
    other = client.post("/api/v1/tickets", json={"title": "Hors catalogue", "description": "Une demande libre.",
                                                 "type": "service_request"})
    assert other.status_code == 201 and other.get_json()["catalogue_item"] is None


def test_an_access_item_awaits_its_own_approvers(api):
    response = request_item(api("employee_a"), "acces-dossier", {
        "chemin": r"P:\2026\26-041 Groupe scolaire", "niveau": "lecture", "responsable": "Marc Dubois"},
        type="access_request")
    assert response.status_code == 201, response.get_json()
    ticket = response.get_json()
    assert ticket["status"] == "awaiting_approval" and ticket["category"] == "comptes-acces"
    seen = api("approver").get(f"/api/v1/tickets/{ticket['id']}")  # sophie is one of the item's approvers
    assert seen.status_code == 200 and seen.get_json()["item_fields"]["niveau"] == "lecture"
    decided = api("approver").post(f"/api/v1/tickets/{ticket['id']}/approvals", json={"decision": "approved"})
    assert decided.status_code == 201 and decided.get_json()["status"] == "new"  # quorum 1


def test_an_item_of_its_own_targets_promises_its_first_response(api):
    response = request_item(api("employee_a"), "vpn-nomade", {"depuis": "2025-12-04"}, type="access_request")
    assert response.status_code == 201, response.get_json()
    promise = api("employee_a").get(f"/api/v1/tickets/{response.get_json()['id']}/expected-response").get_json()
    assert promise["business_hours"] == {"first_response": 2.0, "resolution": 16.0}


def test_the_desk_and_the_portal_show_the_answers_with_their_labels(app, api):
    from tshelpers import Browser

    ticket = request_item(api("employee_a"), "installation-logiciel", {**SOFTWARE, "postes": 12, "date_besoin": "2025-12-10"},
                          title="QGIS pour le bureau d'études").get_json()
    for role, path in (("n1", f"/desk/tickets/{ticket['id']}"), ("employee_a", f"/mes-demandes/{ticket['id']}")):
        page = Browser(app, role).get(path).text
        answers = page.split('id="item-fields"')[1].split("</section>")[0]
        assert "<h2>Installer un logiciel absent du Portail d&#39;entreprise</h2>" in answers, role
        assert "<dt>Le logiciel est-il payant ?</dt><dd>Non, il est gratuit</dd>" in answers  # the option's label
        assert "<dt>Nombre de postes</dt><dd>12</dd>" in answers and "<dt>Pour quand ?</dt><dd>10 décembre 2025</dd>" in answers
        assert answers.index("Nom exact du logiciel") < answers.index("Usage professionnel") < answers.index("Pour quand")
    assert "Demande de service · Installer un logiciel" in Browser(app, "n1").get(f"/desk/tickets/{ticket['id']}").text
    plain = api("employee_a").post("/api/v1/tickets", json={"title": "Souris", "description": "Elle ne répond plus."})
    assert 'id="item-fields"' not in Browser(app, "n1").get(f"/desk/tickets/{plain.get_json()['id']}").text
