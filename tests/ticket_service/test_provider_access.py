"""An outside provider's technicians see only the tickets of their group, and of the requester only what the group's
``requester_details`` allows (A-01, A-02, A-05, A-07 for the hybrid support model)."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from ticket_service.domain.policies import PolicyError, load_policies
from tshelpers import ROOT, new_ticket

CANARY = "CANARI-PRESTATAIRE-4c1d"
PROVIDER = "alpes-infogerance"


@pytest.fixture(scope="module")
def world(app, api):
    """An N1 ticket the provider must not see, and one escalated to the provider's N3 group."""
    owner, n1, n2 = api("employee_a"), api("n1"), api("n2")
    hidden = new_ticket(owner, title=f"Badge perdu {CANARY}", description=f"Mon badge {CANARY} a disparu.")
    assert n1.post(f"/api/v1/tickets/{hidden['id']}/comments",
                   json={"body": f"Note {CANARY}", "internal": True}).status_code == 201
    upload = owner.post(f"/api/v1/tickets/{hidden['id']}/attachments",
                        data={"file": (io.BytesIO(f"journal {CANARY}".encode()), "journal.txt")})
    assert upload.status_code == 201
    shared = new_ticket(owner, title="Serveur de fichiers inaccessible", description="Le lecteur S: ne répond plus.")
    for client in (n1, n2):
        response = client.post(f"/api/v1/tickets/{shared['id']}/escalations",
                               json={"reason": "Besoin du niveau supérieur pour ce serveur."})
        assert response.status_code == 200, response.get_json()
    assert api("admin").get(f"/api/v1/tickets/{shared['id']}").get_json()["group"] == PROVIDER
    return {"hidden": hidden["id"], "shared": shared["id"], "attachment": upload.get_json()["id"]}


def test_a_provider_reaches_no_ticket_outside_its_group(api, world):
    provider = api("n3")
    hidden = world["hidden"]
    for path in (f"/api/v1/tickets/{hidden}", f"/api/v1/tickets/{hidden}/comments", f"/api/v1/tickets/{hidden}/events",
                 f"/api/v1/tickets/{hidden}/attachments/{world['attachment']}", f"/desk/tickets/{hidden}"):
        response = provider.get(path)
        assert response.status_code == 404, path
        assert CANARY not in response.get_data(as_text=True), path
    writes = [("post", f"/api/v1/tickets/{hidden}/comments", {"body": "Je prends."}),
              ("patch", f"/api/v1/tickets/{hidden}", {"impact": "high"}),
              ("post", f"/api/v1/tickets/{world['shared']}/links", {"target_id": hidden, "kind": "related"})]
    for method, path, body in writes:
        assert getattr(provider, method)(path, json=body).status_code == 404, path


def test_lists_queues_and_counts_leave_out_other_groups(api, world):
    provider = api("n3")
    listed = {t["id"] for t in provider.get("/api/v1/tickets?per_page=100").get_json()["items"]}
    assert world["shared"] in listed and world["hidden"] not in listed
    assert all(t["group"] == PROVIDER for t in provider.get("/api/v1/tickets?per_page=100").get_json()["items"])
    for queue in ("all", "open", "unassigned", "kb_gap"):
        html = provider.get(f"/desk?queue={queue}").get_data(as_text=True)
        assert CANARY not in html and f"/desk/tickets/{world['hidden']}\"" not in html, queue
    searched = provider.get(f"/desk?queue=all&q={CANARY}").get_data(as_text=True)
    assert f"/desk/tickets/{world['hidden']}\"" not in searched and "Badge perdu" not in searched
    assert CANARY not in provider.get("/desk/fiches").get_data(as_text=True)
    # in-house technicians still see every group's tickets
    assert world["hidden"] in {t["id"] for t in api("n2").get("/api/v1/tickets?per_page=100").get_json()["items"]}


def test_the_requester_is_shown_as_the_group_allows(api, world, app):
    provider, n1 = api("n3"), api("n1")
    requester = provider.get(f"/api/v1/tickets/{world['shared']}").get_json()["requester"]
    assert set(requester) == {"id", "name", "site"} and "email" not in requester
    assert "email" in n1.get(f"/api/v1/tickets/{world['shared']}").get_json()["requester"]
    page = provider.get(f"/desk/tickets/{world['shared']}").get_data(as_text=True)
    assert "claire.rousseau@" not in page and "Claire" in page
    ctx = app.extensions["guichet_context"]
    policies = ctx.policies
    groups = dict(policies.groups)
    groups[PROVIDER] = replace(groups[PROVIDER], requester_details=("name", "email"))
    ctx.policies = replace(policies, groups=groups)
    try:
        requester = provider.get(f"/api/v1/tickets/{world['shared']}").get_json()["requester"]
        assert set(requester) == {"id", "name", "email"}
        assert "claire.rousseau@" in provider.get(f"/desk/tickets/{world['shared']}").get_data(as_text=True)
    finally:
        ctx.policies = policies


def test_a_ticket_moved_to_an_in_house_group_leaves_the_providers_view_at_once(app, api, world, tmp_path):
    provider, n2 = api("n3"), api("n2")
    ctx = app.extensions["guichet_context"]
    policies = ctx.policies
    data = helpdesk()
    data["groups"]["experts-n3"] = {"name": "Experts internes", "level": "N3",
                                    "members": ["thomas.girard@ferrand-associes.fr"]}
    ctx.policies = policies_from(data, tmp_path)
    try:
        assert provider.get(f"/api/v1/tickets/{world['shared']}").status_code == 200
        moved = n2.patch(f"/api/v1/tickets/{world['shared']}", json={"group": "experts-n3"})
        assert moved.status_code == 200, moved.get_json()
        assert provider.get(f"/api/v1/tickets/{world['shared']}").status_code == 404
        assert provider.get(f"/desk/tickets/{world['shared']}").status_code == 404
        assert n2.patch(f"/api/v1/tickets/{world['shared']}", json={"group": PROVIDER}).status_code == 200
    finally:
        ctx.policies = policies
    assert provider.get(f"/api/v1/tickets/{world['shared']}").status_code == 200


def helpdesk(**group_changes) -> dict:
    """Return the demo helpdesk.yml as data, with some groups changed."""
    data = yaml.safe_load((ROOT / "helpdesk.yml").read_text("utf-8"))
    for gid, changes in group_changes.items():
        data["groups"][gid].update(changes)
    return data


def policies_from(data: dict, folder: Path):
    """Validate a helpdesk.yml written from ``data``, as the service does at start-up."""
    path = folder / "helpdesk.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_policies(path)


@pytest.mark.parametrize(("group", "value", "message"), [
    (PROVIDER, ["phone"], "`groups.alpes-infogerance.requester_details` is ['phone']"),
    (PROVIDER, "email", "`groups.alpes-infogerance.requester_details` is 'email'"),
    ("support-n1", ["email"], "`groups.support-n1.requester_details` is set on a group that is not a provider"),
])
def test_a_bad_requester_details_setting_names_the_key(group, value, message, tmp_path):
    with pytest.raises(PolicyError) as error:
        policies_from(helpdesk(**{group: {"requester_details": value}}), tmp_path)
    assert message in str(error.value)


def test_requester_details_always_include_the_name(tmp_path):
    groups = policies_from(helpdesk(**{PROVIDER: {"requester_details": ["email"]}}), tmp_path).groups
    assert groups[PROVIDER].requester_details == ("name", "email")
    demo = policies_from(helpdesk(), tmp_path).groups
    assert demo[PROVIDER].requester_details == ("name", "site")
    assert demo["support-n1"].requester_details == ("name", "email", "site", "department")
