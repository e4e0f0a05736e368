"""Authorization matrix over every /api route (A-01, A-04, A-05), generated from the one permission table, and canary leaks (A-02)."""

from __future__ import annotations

import io
import re

import pytest

from ticket_service.http.api import PERMISSIONS
from tshelpers import PASSWORD, Api, new_ticket

ROLES = ("anonymous", "employee_a", "employee_b", "approver", "n1", "admin")
ROLE_NAME = {"anonymous": "anonymous", "employee_a": "employee", "employee_b": "employee", "approver": "approver",
             "n1": "technician", "admin": "admin"}
CANARY_A = "CANARI-A-7f3e"  # employee A's private text
CANARY_NOTE = "CANARI-NOTE-91bd"  # a technician's internal note on A's ticket
CANARY_FILE = "CANARI-FICHIER-interne"


@pytest.fixture(scope="module")
def world(app, api):
    """A's objects: an incident with comment, internal note, attachments and links; an access request; a published incident."""
    owner, tech = api("employee_a"), api("n1")
    ticket = new_ticket(owner, title=f"Imprimante {CANARY_A}", description=f"Mon badge {CANARY_A} ne marche plus.")
    tid = ticket["id"]
    other = new_ticket(owner, title=f"Autre {CANARY_A}")
    assert owner.post(f"/api/v1/tickets/{tid}/comments", json={"body": f"Précision {CANARY_A}"}).status_code == 201
    assert tech.post(f"/api/v1/tickets/{tid}/comments", json={"body": f"Note {CANARY_NOTE}", "internal": True}).status_code == 201
    upload = owner.post(f"/api/v1/tickets/{tid}/attachments",
                        data={"file": (io.BytesIO(f"journal {CANARY_A}".encode()), "journal.txt")})
    assert upload.status_code == 201, upload.get_json()
    internal = tech.post(f"/api/v1/tickets/{tid}/attachments",
                         data={"file": (io.BytesIO(b"secret"), f"{CANARY_FILE}.txt"), "internal": "true"})
    assert internal.status_code == 201
    assert tech.post(f"/api/v1/tickets/{tid}/links", json={"target_id": other["id"], "kind": "related"}).status_code == 201
    assert tech.post(f"/api/v1/tickets/{tid}/articles", json={"article_id": "poste-lent"}).status_code == 201
    access = new_ticket(owner, type="access_request", catalogue_item="dossier-comptabilite",
                        title=f"Accès compta {CANARY_A}")
    published = new_ticket(tech, title="Panne messagerie interne détaillée", description="Serveur Exchange, détails privés.")
    assert tech.post(f"/api/v1/tickets/{published['id']}/publication",
                     json={"public_title": "Messagerie indisponible", "public_text": "La messagerie est en panne, nous intervenons."}).status_code == 201
    return {"ticket": tid, "other": other["id"], "attachment": upload.get_json()["id"],
            "internal_attachment": internal.get_json()["id"], "access": access["id"], "published": published["id"]}


def api_rules(app):
    return sorted((r for r in app.url_map.iter_rules() if r.rule.startswith("/api")), key=lambda r: (r.endpoint == "api.session_delete", r.rule))


def test_every_api_route_has_a_permission_entry_and_no_stale_entry(app):
    endpoints = {rule.endpoint for rule in api_rules(app)}
    assert endpoints - set(PERMISSIONS) == set(), "new /api route without a PERMISSIONS entry (deny by default)"
    registered = {name.split(".")[0] for name in endpoints}
    stale = {e for e in set(PERMISSIONS) - endpoints if e.split(".")[0] in registered}
    assert stale == set(), "PERMISSIONS lists a route that no longer exists"


def test_no_api_path_falls_through_to_the_site(app, api):
    for path in ("/api/v1/nope", "/api/v2/tickets", "/api", "/api/v1/tickets/abc", "/api/v1/tickets/1/unknown"):
        response = api(None).get(path)
        assert response.status_code == 404 and response.is_json and set(response.get_json()["error"]) == {"code", "message", "fields"}


def sample_body(endpoint: str, role: str, world) -> dict:
    """A valid body per write endpoint, so authorization (not validation) decides."""
    return {
        "api.session_create": {"json": {"email": "claire.rousseau@ferrand-associes.fr", "password": PASSWORD}},
        "api.tickets_create": {"json": {"title": "Souris HS", "description": "Plus de clic droit."}},
        "api.ticket_update": {"json": {"urgency": "high"}},
        "api.comments_create": {"json": {"body": "Une réponse."}},
        "api.attachments_create": {"data": {"file": (io.BytesIO(b"x" * 10), "capture.png")}},
        "api.transitions_create": {"json": {"to": "in_progress", "reason": "pris en charge"}},
        "api.escalations_create": {"json": {"reason": "Besoin du niveau suivant."}},
        "api.approvals_create": {"json": {"decision": "approved"}},
        "api.links_create": {"json": {"target_id": world["other"], "kind": "duplicate_of"}},
        "api.articles_create": {"json": {"article_id": "espace-disque-plein"}},
        "api.merge_create": {"json": {"into": world["other"]}},
        "api.satisfaction_create": {"json": {"rating": 3}},
        "api.publication_create": {"json": {"public_title": "Titre public", "public_text": "Texte public."}},
        "api.incidents_similar": {"json": {"text": "messagerie en panne"}},
    }.get(endpoint, {})


def url_for_rule(rule, world) -> str:
    values = {"ticket_id": world["access"] if "approvals" in rule.rule else world["ticket"],
              "attachment_id": world["attachment"], "article_id": "poste-lent", "rest": "nope",
              "panel": "sla"}
    if rule.endpoint == "api.incident_join":
        values["ticket_id"] = world["published"]
    missing = set(rule.arguments) - set(values)
    assert not missing, f"{rule.rule}: the authz test has no object for {missing}"
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), rule.rule)


OWNED = re.compile(r"^/api/v1/tickets/<int:ticket_id>")
# Object-level denials beyond "not your ticket → 404": (endpoint, role) → status.
OBJECT_RULES = {
    ("api.satisfaction_create", "n1"): 403, ("api.satisfaction_create", "admin"): 403,
    ("api.approvals_create", "employee_a"): 403,  # role check happens first: employees never approve
    ("api.transitions_create", "employee_a"): 403,  # the requester may not take their own ticket in hand
}


def expected_denial(rule, method: str, role: str) -> int | None:
    """Return the status a role must get (401/403/404), or None when the call must get through."""
    allowed = PERMISSIONS[rule.endpoint]
    if rule.endpoint == "api_fallback.unknown":
        return 404
    if rule.endpoint == "api.alerts_create":
        return 401  # only a monitoring source's token opens it: no person, whatever the role, is one
    if ROLE_NAME[role] not in allowed:
        return 401 if role == "anonymous" else 403
    if OWNED.match(rule.rule):
        visible = role in ("employee_a", "n1", "admin") or (role == "approver" and "approvals" in rule.rule)
        if not visible:
            return 404
    return OBJECT_RULES.get((rule.endpoint, role))


def test_authorization_matrix_every_route_every_role(app, world):
    checked = 0
    for rule in api_rules(app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for role in ROLES:
                client = Api(app, None if role == "anonymous" else role)
                url = url_for_rule(rule, world)
                response = client.open(method, url, **sample_body(rule.endpoint, role, world))
                expected = expected_denial(rule, method, role)
                body = response.get_data(as_text=True)
                assert response.status_code < 500, (method, url, role, body)
                assert response.headers.get("X-Content-Type-Options") == "nosniff", (method, url, role, dict(response.headers))
                assert response.headers.get("Cache-Control", "").startswith(("no-store", "private, no-store")), (method, url, dict(response.headers))
                if expected is None:
                    assert response.status_code not in (401, 403, 404), (method, url, role, body)
                else:
                    assert response.status_code == expected, (method, url, role, expected, body)
                    assert set(response.get_json()["error"]) == {"code", "message", "fields"}
                    assert CANARY_A not in body and CANARY_NOTE not in body
                checked += 1
    assert checked > 150


def test_employee_b_gets_404_for_every_object_of_a(app, api, world):
    other = api("employee_b", fresh=True)
    ids = [world["ticket"], world["access"], world["other"]]
    for rule in api_rules(app):
        if not OWNED.match(rule.rule) or "GET" not in rule.methods or rule.endpoint not in PERMISSIONS:
            continue
        if "employee" not in PERMISSIONS[rule.endpoint]:
            continue
        for ticket_id in ids:
            url = url_for_rule(rule, {**world, "ticket": ticket_id, "access": ticket_id})
            response = other.get(url)
            assert response.status_code == 404, (url, response.get_json())
    # neighbouring ids of A's attachment, through B's own ticket: still nothing
    mine = new_ticket(other)
    for attachment_id in (world["attachment"] - 1, world["attachment"], world["attachment"] + 1):
        assert other.get(f"/api/v1/tickets/{mine['id']}/attachments/{attachment_id}").status_code == 404


def all_employee_outputs(client: Api, world) -> str:
    """Every response an employee can obtain, concatenated."""
    paths = ["/api/v1/tickets?per_page=100", "/api/v1/tickets?status=new", "/api/v1/tickets?page=999",
             "/api/v1/incidents/major", "/api/v1/me", "/api/v1/policies", "/api/v1/session"]
    for key in ("ticket", "other", "access"):
        base = f"/api/v1/tickets/{world[key]}"
        paths += [base, base + "/comments", base + "/attachments", base + "/articles", base + "/approvals",
                  base + f"/attachments/{world['attachment']}", base + f"/attachments/{world['internal_attachment']}"]
    out = [client.get(p).get_data(as_text=True) for p in paths]
    for text in ("badge imprimante", CANARY_A, "Panne messagerie interne", "Exchange détails privés"):
        out.append(client.post("/api/v1/incidents/similar", json={"text": text}).get_data(as_text=True))
    return "\n".join(out)


def test_canaries_never_leak_to_employees(app, api, world):
    b_sees = all_employee_outputs(api("employee_b", fresh=True), world)
    assert CANARY_A not in b_sees and "claire" not in b_sees.lower()
    assert "Messagerie indisponible" in b_sees  # the published text is what they get…
    assert "Exchange" not in b_sees  # …never the private one
    a_sees = all_employee_outputs(api("employee_a", fresh=True), world)
    assert CANARY_A in a_sees  # A sees A's own text
    assert CANARY_NOTE not in a_sees and CANARY_FILE not in a_sees  # never internal notes or files
    tech_sees = api("n1", fresh=True).get(f"/api/v1/tickets/{world['ticket']}/comments").get_data(as_text=True)
    assert CANARY_NOTE in tech_sees


def test_employee_lists_count_only_their_own_tickets(app, api, world):
    b = api("employee_b", fresh=True)  # the matrix signed everyone out (DELETE /session)
    listing = b.get("/api/v1/tickets?per_page=100").get_json()
    assert all(t["id"] not in (world["ticket"], world["other"], world["access"]) for t in listing["items"])
    assert listing["total"] == len(listing["items"])
    assert b.get("/api/v1/tickets?requester_id=1").status_code == 400  # staff-only filter


def test_approver_sees_only_the_requests_they_decide(app, api, world):
    approver = api("approver", fresh=True)
    assert approver.get(f"/api/v1/tickets/{world['access']}").status_code == 200
    assert approver.get(f"/api/v1/tickets/{world['ticket']}").status_code == 404
    body = approver.get(f"/api/v1/tickets/{world['access']}").get_json()
    assert set(body) == {"id", "title", "description", "type", "catalogue_item", "item_fields", "status", "created_at",
                         "requester"}  # the item's answers are what the approver decides on
    assert approver.get(f"/api/v1/tickets/{world['access']}/comments").status_code == 200
    assert approver.post(f"/api/v1/tickets/{world['access']}/comments", json={"body": "ok"}).status_code in (403, 409)


def test_a_route_missing_from_the_permission_table_is_denied(db_url, tmp_path):
    from ticket_service import create_app
    from tshelpers import app_config

    fresh = create_app(app_config(db_url, tmp_path))
    try:
        fresh.add_url_rule("/api/v1/route-oubliee", "oubliee", lambda: "données")
        response = fresh.test_client().get("/api/v1/route-oubliee")
        assert response.status_code == 404 and "données" not in response.get_data(as_text=True)
    finally:
        fresh.extensions["guichet_db"].dispose()
