"""Idempotency-Key on ticket creation (D-04): one ticket per key and person, 422 for another payload."""

from __future__ import annotations

import threading
import uuid

from sqlalchemy import func, select

from ticket_service.store.models import Ticket
from tshelpers import Api

BODY = {"title": "Double clic sur Envoyer", "description": "Le formulaire est parti deux fois ?"}


def count_titled(database, title: str) -> int:
    with database.reader() as db:
        return db.scalar(select(func.count()).select_from(Ticket).where(Ticket.title == title))


def test_replay_returns_the_original_and_another_payload_is_422(api, database):
    client, key = api("employee_a"), str(uuid.uuid4())
    body = {**BODY, "title": "Rejeu " + key[:8]}
    first = client.post("/api/v1/tickets", json=body, headers={"Idempotency-Key": key})
    again = client.post("/api/v1/tickets", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"] and again.headers["Idempotent-Replayed"] == "true"
    other = client.post("/api/v1/tickets", json={**body, "description": "autre texte"}, headers={"Idempotency-Key": key})
    assert other.status_code == 422 and other.get_json()["error"]["code"] == "idempotency_key_reused"
    assert count_titled(database, body["title"]) == 1
    for bad in ("court", "a" * 101, "clé avec espaces", "x;Set-Cookie: a"):
        response = client.post("/api/v1/tickets", json=body, headers={"Idempotency-Key": bad.encode("utf-8").decode("latin-1")})
        assert response.status_code == 400


def test_keys_are_scoped_to_the_person(api, database):
    key = str(uuid.uuid4())
    a = api("employee_a").post("/api/v1/tickets", json={**BODY, "title": "Portée " + key[:8]}, headers={"Idempotency-Key": key})
    b = api("employee_b").post("/api/v1/tickets", json={**BODY, "title": "Portée " + key[:8]}, headers={"Idempotency-Key": key})
    assert a.status_code == b.status_code == 201 and a.get_json()["id"] != b.get_json()["id"]
    assert "Claire" not in b.get_data(as_text=True)  # nothing of A's request leaks through B's replay


def test_eight_parallel_submits_with_one_key_make_one_ticket(app, database):
    for round_ in range(3):
        key, title = str(uuid.uuid4()), f"Parallèle {round_} {uuid.uuid4().hex[:6]}"
        clients = [Api(app, "employee_a") for _ in range(8)]
        barrier, results = threading.Barrier(8), [None] * 8

        def submit(index):
            barrier.wait()
            results[index] = clients[index].post("/api/v1/tickets", json={**BODY, "title": title},
                                                 headers={"Idempotency-Key": key})

        threads = [threading.Thread(target=submit, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [r.status_code for r in results] == [201] * 8, [r.get_json() for r in results]
        assert len({r.get_json()["id"] for r in results}) == 1
        assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in results) == 7
        assert count_titled(database, title) == 1


def test_comment_creation_is_idempotent_too(api):
    from tshelpers import new_ticket

    client, key = api("employee_a"), str(uuid.uuid4())
    ticket = new_ticket(client)
    url = f"/api/v1/tickets/{ticket['id']}/comments"
    first = client.post(url, json={"body": "Une seule fois"}, headers={"Idempotency-Key": key})
    again = client.post(url, json={"body": "Une seule fois"}, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201 and first.get_json()["id"] == again.get_json()["id"]
    assert client.post(url, json={"body": "Autre"}, headers={"Idempotency-Key": key}).status_code == 422
    assert [c["body"] for c in client.get(url).get_json()["items"]] == ["Une seule fois"]
