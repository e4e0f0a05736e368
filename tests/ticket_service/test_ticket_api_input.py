"""Hostile and malformed input (I-07, I-08, I-06, A-04; I-01 for the allow-listed sort and filter keys), a hypothesis
fuzz, pagination, and the OpenAPI document."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from ticket_service.store.models import Ticket
from tshelpers import new_ticket

SETTINGS = settings(max_examples=60, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def ticket_count(database) -> int:
    with database.reader() as db:
        return db.scalar(select(func.count()).select_from(Ticket))


@pytest.fixture(scope="module")
def target(api):
    """A ticket of employee A to aim the write endpoints at."""
    return new_ticket(api("employee_a"))


FORBIDDEN_ON_CREATE = ["status", "priority", "assignee_id", "requester_id", "level", "group", "kb_gap", "published",
                       "major", "id", "first_contact_resolution", "satisfaction_rating", "role", "is_admin", "approved"]


@pytest.mark.parametrize("field", FORBIDDEN_ON_CREATE)
def test_mass_assignment_on_create_is_rejected_and_changes_nothing(api, database, field):
    before = ticket_count(database)
    response = api("employee_a").post("/api/v1/tickets", json={"title": "Souris", "description": "HS", field: 1})
    if response.status_code != 400:  # "HS" is short but valid (3 chars needed): make sure the field is what fails
        pytest.fail(f"{field}: {response.status_code} {response.get_json()}")
    assert response.get_json()["error"]["code"] == "unknown_fields" and field in response.get_json()["error"]["fields"]
    assert ticket_count(database) == before


def test_mass_assignment_on_update_comment_and_upload(api, target):
    tid = target["id"]
    assert api("employee_a").patch(f"/api/v1/tickets/{tid}", json={"title": "Nouveau titre"}).status_code == 403
    for field, value in (("status", "closed"), ("priority", "P1"), ("level", "N3"), ("requester_id", 1), ("kb_gap", True)):
        response = api("n1").patch(f"/api/v1/tickets/{tid}", json={field: value})
        assert response.status_code == 400 and field in response.get_json()["error"]["fields"]
    response = api("employee_a").post(f"/api/v1/tickets/{tid}/comments", json={"body": "x", "internal": True})
    assert response.status_code == 400  # employees cannot write internal notes
    import io

    response = api("employee_a").post(f"/api/v1/tickets/{tid}/attachments",
                                      data={"file": (io.BytesIO(b"abc"), "a.txt"), "internal": "true"})
    assert response.status_code == 400
    assert api("n1").get(f"/api/v1/tickets/{tid}").get_json()["status"] == "new"


def raw_post(client, path: str, body: bytes, content_type="application/json"):
    return client.post(path, data=body, headers={"Content-Type": content_type})


MALFORMED = [
    ("deep array", b"[" * 5000 + b"]" * 5000, 400),
    ("deep object", b'{"a":' * 5000 + b"1" + b"}" * 5000, 400),
    ("moderately deep", json.dumps({"title": "x" * 5, "description": "y" * 5, "help_session_id": None}).encode()[:-1]
     + b', "category": ' + b"[" * 100 + b"]" * 100 + b"}", 400),
    ("lone surrogate", b'{"title": "\\ud800 imprimante", "description": "texte normal"}', 400),
    ("lone surrogate key", b'{"\\udfff": 1}', 400),
    ("NUL", b'{"title": "imp\\u0000rimante", "description": "texte normal"}', 400),
    ("invalid UTF-8", b'{"title": "\xff\xfe imprimante", "description": "texte"}', 400),
    ("truncated", b'{"title": "imprim', 400),
    ("not an object", b'["title", "description"]', 400),
    ("number", b"42", 400),
    ("duplicate keys", b'{"title": "aaaa", "title": "bbbb", "description": "ccc"}', 400),
    ("empty", b"", 400),
    ("NaN", b'{"title": NaN, "description": "ccc"}', 400),  # not JSON (RFC 8259), whatever the field
    ("wrong types", b'{"title": ["a"], "description": {"b": 1}, "impact": 3, "urgency": true}', 422),
    ("huge integer", b'{"title": "aaaa", "description": "bbbb", "requester_id": 123456789012345678901234567890}', 400),
]


@pytest.mark.parametrize("name, body, status", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_json_is_a_4xx_never_a_500(api, target, name, body, status):
    for path in ("/api/v1/tickets", f"/api/v1/tickets/{target['id']}/comments", "/api/v1/incidents/similar"):
        response = raw_post(api("employee_a"), path, body)
        assert 400 <= response.status_code < 500, (name, path, response.get_data(as_text=True))
        assert set(response.get_json()["error"]) == {"code", "message", "fields"}
    assert raw_post(api("employee_a"), "/api/v1/tickets", body).status_code == status


def test_size_limits_and_content_types(api, app):
    client = api("employee_a")
    big = json.dumps({"title": "Gros", "description": "x" * (app.config["MAX_JSON_BYTES"] + 1)}).encode()
    assert raw_post(client, "/api/v1/tickets", big).status_code == 413
    huge = b'{"title": "' + b"x" * (app.config["MAX_CONTENT_LENGTH"] + 10) + b'"}'
    assert raw_post(client, "/api/v1/tickets", huge).status_code == 413
    assert raw_post(client, "/api/v1/tickets", b"title=a", "application/x-www-form-urlencoded").status_code == 415
    long_title = client.post("/api/v1/tickets", json={"title": "x" * 201, "description": "ok ok"})
    assert long_title.status_code == 422 and "title" in long_title.get_json()["error"]["fields"]


@pytest.mark.parametrize("query, status", [
    ("page=abc", 422), ("page=0", 422), ("per_page=1000", 422), ("sort=id;DROP TABLE tickets", 422),
    ("sort=password_hash", 422), ("status=all", 422), ("unknown=1", 400), ("page=1&page=2", 400),
    ("priority=%00", 400), ("status=%ED%A0%80", 422), ("page=99999999999999999999", 422),
])
def test_query_strings_are_allow_listed(api, query, status):
    response = api("n1").get(f"/api/v1/tickets?{query}")
    assert response.status_code == status, response.get_json()


def test_huge_and_odd_ids_in_paths(api):
    for path in ("/api/v1/tickets/99999999999999999999", "/api/v1/tickets/2147483648", "/api/v1/tickets/-1",
                 "/api/v1/tickets/0", "/api/v1/tickets/1e3", "/api/v1/tickets/%00"):
        response = api("n1").get(path)
        assert response.status_code == 404 and response.is_json, path


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
KEYS = st.sampled_from(["title", "description", "type", "category", "impact", "urgency", "catalogue_item",
                        "help_session_id", "to", "note", "articles", "kb_gap", "reason", "body", "internal",
                        "rating", "comment", "decision", "target_id", "kind", "into", "text", "assignee_id", "group"])
PAYLOADS = st.dictionaries(KEYS | st.text(max_size=6), JSON_VALUES, max_size=6)


@SETTINGS
@given(payload=PAYLOADS, route=st.sampled_from([
    ("post", "/api/v1/tickets"), ("patch", "/api/v1/tickets/{id}"), ("post", "/api/v1/tickets/{id}/transitions"),
    ("post", "/api/v1/tickets/{id}/comments"), ("post", "/api/v1/tickets/{id}/escalations"),
    ("post", "/api/v1/tickets/{id}/links"), ("post", "/api/v1/tickets/{id}/satisfaction"),
    ("post", "/api/v1/tickets/{id}/approvals"), ("post", "/api/v1/incidents/similar"), ("post", "/api/v1/session"),
]), role=st.sampled_from(["employee_a", "n1"]))
def test_fuzzed_payloads_never_give_a_5xx(api, target, payload, route, role):
    method, path = route
    response = getattr(api(role), method)(path.format(id=target["id"]), json=payload)
    assert response.status_code < 500, (route, payload, response.get_data(as_text=True))
    if response.status_code >= 400:
        assert set(response.get_json()["error"]) == {"code", "message", "fields"}


def test_pagination(api, database):
    client = api("employee_b")
    for i in range(3):
        new_ticket(client, title=f"Page {i}")
    first = client.get("/api/v1/tickets?per_page=2&sort=created_at").get_json()
    total = first["total"]
    assert len(first["items"]) == 2 and first["next_page"] == 2 and total >= 3
    pages, page = [], 1
    while page:
        body = client.get(f"/api/v1/tickets?per_page=2&page={page}&sort=created_at").get_json()
        pages += [t["id"] for t in body["items"]]
        page = body["next_page"]
    assert len(pages) == len(set(pages)) == total
    past = client.get("/api/v1/tickets?page=500").get_json()
    assert past["items"] == [] and past["total"] == total and past["next_page"] is None


def test_openapi_document_lists_every_route_and_matches_the_validators(app, api, target):
    response = api(None).get("/api/v1/openapi.json")
    doc = json.loads(response.get_data(as_text=True))
    assert doc["openapi"].startswith("3.1") and doc["components"]["schemas"]["Error"]
    listed = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    expected = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = rule.rule
            for arg in rule.arguments:
                path = path.replace(f"<int:{arg}>", "{" + arg + "}").replace(f"<string:{arg}>", "{" + arg + "}")
            expected |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert listed == expected
    # Every JSON body schema is closed, and the implementation rejects a property the schema does not list.
    tech = api("n1")
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op["summary"] and op["operationId"] and "default" in op["responses"]
            schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if schema is None:
                continue
            if "oneOf" in schema:  # POST /alerts: Alertmanager's body stays open (its sender adds fields between
                # versions); the generic form is closed, and test_alerts.py checks its unknown field → 400
                assert [s["additionalProperties"] for s in schema["oneOf"] if "alerts" not in s["properties"]] == [False]
                continue
            assert schema["additionalProperties"] is False
            url = path.replace("{ticket_id}", str(target["id"])).replace("{article_id}", "poste-lent")
            response = tech.open(method.upper(), url, json={"pas_dans_le_schema": 1})
            assert response.status_code in (400, 403), (method, path, response.get_json())
            if response.status_code == 400:
                assert "pas_dans_le_schema" in response.get_json()["error"]["fields"]


def test_docs_api_md_lists_every_endpoint(api):
    from tshelpers import ROOT

    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    doc = api(None).get("/api/v1/openapi.json").get_json()
    documented = set(re.findall(r"^### `([A-Z]+) (/api/v1/\S+)`$", text, flags=re.M))
    served = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    assert served - documented == set(), "endpoints missing from docs/api.md"
    assert documented - served == set(), "docs/api.md documents endpoints that do not exist"
