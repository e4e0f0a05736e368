"""POST /api/v1/events (I-13): allow-list validation, dedup by event id, 429 per session, person linking, canaries."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import select

from ticket_service.store.models import HelpEvent
from tshelpers import new_ticket

CANARY = "CANARI-REQUETE-5c1d"


def eid() -> str:
    return uuid.uuid4().hex


def batch(session: str, *events) -> dict:
    return {"session": session, "events": list(events)}


def shown(query="imprimante hors connexion", **extra):
    return {"id": eid(), "type": "suggestions_shown", "query": query, "abstained": False,
            "suggestions": [{"id": "imprimante-hors-connexion", "rank": 1, "score": 0.8, "category": "impression"}], **extra}


def stored(database, session: str) -> list[HelpEvent]:
    with database.reader() as db:
        return list(db.scalars(select(HelpEvent).where(HelpEvent.session_id == session).order_by(HelpEvent.id)))


def test_a_batch_is_stored_and_a_retry_is_deduplicated(api, database):
    client, sid = api(None), "sess-" + eid()[:20]
    events = [shown(), {"id": eid(), "type": "article_opened", "article": "imprimante-hors-connexion", "rank": 1, "source": "form"},
              {"id": eid(), "type": "solved", "article": "imprimante-hors-connexion", "source": "form"}]
    first = client.post("/api/v1/events", json=batch(sid, *events))
    assert first.status_code == 202 and first.get_json() == {"accepted": 3, "duplicates": 0}
    again = client.post("/api/v1/events", json=batch(sid, *events, events[0]))
    assert again.get_json() == {"accepted": 0, "duplicates": 4}
    rows = stored(database, sid)
    assert [r.type for r in rows] == ["suggestions_shown", "article_opened", "solved"]
    assert rows[0].query == "imprimante hors connexion" and json.loads(rows[0].data)["suggestions"][0]["rank"] == 1
    assert all(r.person_id is None for r in rows)  # anonymous: pseudonymous session only


def test_the_person_is_linked_only_when_signed_in(api, database, users):
    sid = "sess-" + eid()[:20]
    assert api("employee_a").post("/api/v1/events", json=batch(sid, shown())).status_code == 202
    assert [r.person_id for r in stored(database, sid)] == [users["employee_a"]]


def test_schema_is_an_allow_list(api):
    client, sid = api(None), "sess-" + eid()[:20]
    cases = [
        ({"session": sid, "events": [shown(email="x@y.fr")]}, 400, "events[0].email"),
        ({"session": sid, "events": [{"id": eid(), "type": "keylogger"}]}, 422, "events[0].type"),
        ({"session": sid, "events": [{"id": eid(), "type": "solved"}]}, 422, "events[0].article"),
        ({"session": sid, "events": [shown(suggestions=[{"id": "a", "rank": 1, "html": "<b>"}])]}, 422, "events[0].suggestions"),
        ({"session": "court", "events": [shown()]}, 422, "session"),
        ({"session": "pas valide !!", "events": [shown()]}, 422, "session"),
        ({"session": sid, "events": []}, 422, "events"),
        ({"session": sid, "events": [shown() for _ in range(51)]}, 422, "events"),
        ({"session": sid, "events": [shown(query="x" * 201)]}, 422, "events[0].query"),
        ({"session": sid, "events": [{"id": "a b", "type": "page_view", "article": "poste-lent"}]}, 422, "events[0].id"),
        ({"session": sid, "events": [{"id": eid(), "type": "page_feedback", "article": "poste-lent", "helpful": "oui"}]}, 422,
         "events[0].helpful"),
        ({"session": sid, "events": "tout"}, 422, "events"),
        ({"session": sid, "events": [shown()], "user": 1}, 400, "user"),
    ]
    for body, status, field in cases:
        response = client.post("/api/v1/events", json=body)
        assert response.status_code == status, (body, response.get_json())
        assert field in response.get_json()["error"]["fields"], (field, response.get_json())
    assert client.post("/api/v1/events", data="session=x", content_type="application/x-www-form-urlencoded").status_code == 415


def test_csrf_is_required_from_the_browser(app):
    client = app.test_client()
    client.get("/api/v1/session")
    response = client.post("/api/v1/events", json=batch("sess-" + eid()[:20], shown()))
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "csrf_failed"


def test_rate_limited_per_session_with_retry_after(api):
    client, sid = api(None, fresh=True), "sess-" + eid()[:20]
    assert client.post("/api/v1/events", json=batch(sid, *[shown() for _ in range(40)])).status_code == 202  # limit: 40/min
    response = client.post("/api/v1/events", json=batch(sid, shown()))
    assert response.status_code == 429 and response.headers["Retry-After"] == "60"
    assert response.get_json()["error"]["code"] == "too_many_events"
    assert client.post("/api/v1/events", json=batch("sess-" + eid()[:20], shown())).status_code == 202  # another session


def test_ticket_created_must_name_ones_own_ticket(api):
    mine = new_ticket(api("employee_a"))
    sid = "sess-" + eid()[:20]
    event = {"id": eid(), "type": "ticket_created", "ticket": mine["id"]}
    assert api("employee_b").post("/api/v1/events", json=batch(sid, event)).status_code == 422
    assert api(None).post("/api/v1/events", json=batch(sid, event)).status_code == 422
    assert api("employee_a").post("/api/v1/events", json=batch(sid, event)).status_code == 202


def test_browser_clock_is_trusted_only_within_the_last_hour(api, database):
    sid = "sess-" + eid()[:20]
    api(None).post("/api/v1/events", json=batch(sid, shown(at=0), shown(at=10**13)))
    rows = stored(database, sid)
    assert all(abs((r.at - r.received_at).total_seconds()) < 5 for r in rows)


def test_employees_never_read_events_or_metrics_canary(api):
    sid = "sess-" + eid()[:20]
    assert api("employee_a").post("/api/v1/events", json=batch(sid, shown(query=f"badge {CANARY}", suggestions=[], abstained=True))).status_code == 202
    b = api("employee_b")
    assert b.get("/api/v1/metrics/deflection").status_code == 403
    assert api(None).get("/api/v1/metrics/deflection").status_code == 401
    outputs = "".join(b.get(p).get_data(as_text=True) for p in ("/api/v1/tickets?per_page=100", "/api/v1/incidents/major", "/api/v1/me"))
    assert CANARY not in outputs
    tech = api("n1").get("/api/v1/metrics/deflection").get_data(as_text=True)
    assert "badge canari requete 5c1d" in tech  # an unsuccessful search: the normalised query, not who typed it
    assert "claire" not in tech.lower() and "@" not in tech
