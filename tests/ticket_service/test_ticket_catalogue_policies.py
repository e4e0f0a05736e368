"""helpdesk.yml's service catalogue: items, their typed fields, approvers and SLA overrides, validated at start-up."""

from __future__ import annotations

import copy
from datetime import datetime, timezone

import pytest
import yaml

from tshelpers import ROOT
from ticket_service import create_app
from ticket_service.domain.calendar import BusinessCalendar
from ticket_service.domain.policies import PolicyError, load_policies
from ticket_service.domain.sla import compute_dues
from ticket_service.store.models import Ticket

PROJECT = (ROOT / "helpdesk.yml").read_text(encoding="utf-8")
POLICIES = load_policies(ROOT / "helpdesk.yml")


def test_the_catalogue_holds_service_and_access_items_with_their_fields():
    catalogue = POLICIES.catalogue
    for kept in ("dossier-comptabilite", "logiciel-paie", "vpn-nomade"):  # the access items tests and the demo use
        assert catalogue[kept].type == "access_request" and catalogue[kept].approvers
    assert catalogue["logiciel-paie"].quorum == 2
    services = [i for i in catalogue.values() if i.type == "service_request"]
    assert {"materiel", "installation-logiciel", "boite-ou-liste"} <= {i.id for i in services}
    assert all(i.approvers == () and i.quorum == 0 for i in services)
    assert all(i.category in POLICIES.categories and i.label and i.description for i in catalogue.values())
    kinds = {f.type for i in catalogue.values() for f in i.fields}
    assert kinds == {"text", "textarea", "choice", "date", "number", "email"}
    materiel = catalogue["materiel"].field_by_id("materiel")
    assert materiel.required and materiel.options["ecran"] == "Écran 24 pouces"
    assert catalogue["installation-logiciel"].field_by_id("postes").minimum == 1


BROKEN = [  # (mutation, key named in the error, words of the fix)
    (lambda d: d["catalogue"]["materiel"].update(category="mobilier"), "catalogue.materiel.category", "name one of"),
    (lambda d: d["catalogue"]["materiel"].update(type="incident"), "catalogue.materiel.type", "service_request or access_request"),
    (lambda d: d["catalogue"]["materiel"].pop("label"), "catalogue.materiel.label", "French label"),
    (lambda d: d["catalogue"]["materiel"].update(approvers=["sophie.ferrand@ferrand-associes.fr"]),
     "catalogue.materiel.approvers", "set `type: access_request`"),
    (lambda d: d["catalogue"]["acces-dossier"].pop("approvers"), "catalogue.acces-dossier.approvers", "approvers"),
    (lambda d: d["catalogue"]["acces-dossier"].update(quorum=0), "catalogue.acces-dossier.quorum", "between 1 and 2"),
    (lambda d: d["catalogue"].update({"Accès Dossier": copy.deepcopy(d["catalogue"]["acces-dossier"])}), "catalogue.Accès Dossier",
     "lowercase letters"),
    (lambda d: d["catalogue"]["materiel"].update(couleur="bleu"), "catalogue.materiel.couleur", "use label"),
    (lambda d: d["catalogue"]["materiel"]["fields"]["materiel"].update(type="liste"),
     "catalogue.materiel.fields.materiel.type", "text, textarea, choice, date, number, email"),
    (lambda d: d["catalogue"]["materiel"]["fields"]["materiel"].pop("options"),
     "catalogue.materiel.fields.materiel.options", "options"),
    (lambda d: d["catalogue"]["materiel"]["fields"]["materiel"]["options"].update(vide=""),
     "catalogue.materiel.fields.materiel.options.vide", "lowercase id"),
    (lambda d: d["catalogue"]["materiel"]["fields"]["date_besoin"].update(min_days=-1),
     "catalogue.materiel.fields.date_besoin.min_days", "0 = today"),
    (lambda d: d["catalogue"]["materiel"]["fields"]["date_besoin"].update(max_length=10),
     "catalogue.materiel.fields.date_besoin.max_length", "use only: help, label, min_days, required, type"),
    (lambda d: d["catalogue"]["installation-logiciel"]["fields"]["postes"].update(min=60),
     "catalogue.installation-logiciel.fields.postes.min", "min ≤ max"),
    (lambda d: d["catalogue"]["installation-logiciel"]["fields"]["postes"].update(max=2.5),
     "catalogue.installation-logiciel.fields.postes.max", "whole number"),
    (lambda d: d["catalogue"]["materiel"]["fields"]["motif"].update(required="oui"),
     "catalogue.materiel.fields.motif.required", "true or false"),
    (lambda d: d["catalogue"]["materiel"]["fields"]["motif"].update(max_length=0),
     "catalogue.materiel.fields.motif.max_length", "between 1 and 10000"),
    (lambda d: d["catalogue"]["materiel"]["fields"].update({"Date besoin": {"label": "x", "type": "date"}}),
     "catalogue.materiel.fields.Date besoin", "lowercase letters, digits and _"),
    (lambda d: d["catalogue"]["materiel"].update(sla={"priority": "P7"}), "catalogue.materiel.sla.priority", "P1, P2"),
    (lambda d: d["catalogue"]["vpn-nomade"].update(sla={"first_response": 20, "resolution": 16}),
     "catalogue.vpn-nomade.sla.first_response", "first_response ≤ resolution"),
    (lambda d: d["catalogue"]["vpn-nomade"].update(sla={"delai": 3}), "catalogue.vpn-nomade.sla.delai", "sla: {priority: P3}"),
    (lambda d: d.update(access_catalogue=d.pop("catalogue")), "access_catalogue", "rename it `catalogue:`"),
    (lambda d: d.pop("catalogue"), "catalogue", "label"),
]


@pytest.mark.parametrize("mutate, key, fix", BROKEN, ids=[key for _, key, _ in BROKEN])
def test_a_broken_catalogue_names_the_key_and_the_fix(tmp_path, mutate, key, fix):
    data = yaml.safe_load(PROJECT)
    mutate(data)
    path = tmp_path / "helpdesk.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(PolicyError) as error:
        load_policies(path)
    message = str(error.value)
    assert f"`{key}`" in message and "fix:" in message and fix in message.split("fix:")[1], message
    with pytest.raises(PolicyError):  # the app refuses to start with it
        create_app({"HELPDESK_CONFIG": str(path), "SECRET_KEY": "x", "VERIFY_DATABASE": False,
                    "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"})


def test_the_error_gives_the_line_of_the_faulty_key_inside_the_catalogue(tmp_path):
    old = "        required: true\n        min_days: 0\n      motif:"
    assert PROJECT.count(old) == 1
    path = tmp_path / "helpdesk.yml"
    path.write_text(PROJECT.replace(old, old.replace("0", "-3")), encoding="utf-8")
    line = PROJECT[:PROJECT.index(old)].count("\n") + 2
    assert PROJECT.splitlines()[line - 1] == "        min_days: 0"
    with pytest.raises(PolicyError, match=rf"helpdesk.yml:{line}: `catalogue.materiel.fields.date_besoin.min_days` is -3"):
        load_policies(path)


def _ticket(priority: str, item: str | None) -> Ticket:
    # Wednesday 3 December 2025, 09:00 in Paris: a working day, well inside business hours.
    return Ticket(priority=priority, catalogue_item=item, created_at=datetime(2025, 12, 3, 8, 0, tzinfo=timezone.utc),
                  paused_seconds=0.0)


def test_an_item_of_its_own_targets_sets_the_dues_and_the_others_follow_the_priority():
    calendar = BusinessCalendar.from_policies(POLICIES)
    assert POLICIES.targets("P4", "vpn-nomade") == {"first_response": 2.0, "resolution": 16.0}
    assert POLICIES.targets("P4", "materiel") == POLICIES.sla["P4"] == POLICIES.targets("P4", None)
    vpn, plain = _ticket("P4", "vpn-nomade"), _ticket("P4", None)
    compute_dues(vpn, POLICIES, calendar)
    compute_dues(plain, POLICIES, calendar)
    assert vpn.first_response_due == datetime(2025, 12, 3, 10, 0, tzinfo=timezone.utc)  # 2 business hours
    assert plain.first_response_due == datetime(2025, 12, 3, 16, 0, tzinfo=timezone.utc)  # P4: 8 business hours
