"""helpdesk.yml is followed without a restart: a technician removed from a group loses its tickets at the next
request (A-07, group removal); an invalid change keeps the running policies."""

from __future__ import annotations

import shutil

import pytest
import yaml

from tshelpers import ROLES, ROOT, Api, migrated_app, new_ticket

PROVIDER = "alpes-infogerance"


@pytest.fixture()
def company(tmp_path):
    policies = tmp_path / "helpdesk.yml"
    shutil.copy(ROOT / "helpdesk.yml", policies)
    with migrated_app("sqlite", tmp_path, demo=False, HELPDESK_CONFIG=str(policies), POLICIES_CHECK_SECONDS=0) as app:
        yield app, policies


def edit(path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_a_technician_removed_from_a_group_loses_its_tickets_at_the_next_request(company):
    app, policies = company
    owner, n1, n2 = Api(app, "employee_a"), Api(app, "n1"), Api(app, "n2")
    ticket = new_ticket(owner, title="Serveur de fichiers inaccessible", description="Le lecteur S: ne répond plus.")
    for client in (n1, n2):
        assert client.post(f"/api/v1/tickets/{ticket['id']}/escalations",
                           json={"reason": "Besoin du niveau supérieur pour ce serveur."}).status_code == 200
    provider = Api(app, "n3")  # signed in before the change: the same session is used after it
    assert provider.get(f"/api/v1/tickets/{ticket['id']}").status_code == 200
    assert ticket["id"] in [t["id"] for t in provider.get("/api/v1/tickets").get_json()["items"]]

    edit(policies, lambda d: d["groups"][PROVIDER].update(members=["autre@alpes-infogerance.fr"]))
    assert provider.get(f"/api/v1/tickets/{ticket['id']}").status_code == 404
    assert provider.get("/api/v1/tickets").get_json()["items"] == []
    assert n2.get(f"/api/v1/tickets/{ticket['id']}").status_code == 200  # the others keep theirs

    edit(policies, lambda d: d["groups"][PROVIDER].update(members=[ROLES["n3"]]))
    assert provider.get(f"/api/v1/tickets/{ticket['id']}").status_code == 200  # given back, at once too


def test_an_invalid_change_keeps_the_running_policies(company, caplog):
    app, policies = company
    n1 = Api(app, "n1")
    before = n1.get("/api/v1/tickets").status_code
    policies.write_text(policies.read_text(encoding="utf-8").replace("default_group: support-n1",
                                                                     "default_group: nulle-part"), encoding="utf-8")
    assert n1.get("/api/v1/tickets").status_code == before == 200
    assert "helpdesk.yml changed but is invalid" in caplog.text and "default_group" in caplog.text
    assert app.extensions["guichet_context"].policies.default_group == "support-n1"
