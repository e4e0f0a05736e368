"""`GET /api/v1/suggest` over the real index written by a real site build."""

from __future__ import annotations

import pytest

from guichet_testing import copy_fixture_project, mkdocs_build
from ticket_service import create_app
from ticket_service.store.db import Database, upgrade

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    project = copy_fixture_project("kb_good", tmp_path_factory.mktemp("suggest"))
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    return project


@pytest.fixture(scope="module")
def client(project, tmp_path_factory):
    folder = tmp_path_factory.mktemp("app")
    url = f"sqlite:///{folder / 'guichet.sqlite3'}"
    upgrade(Database(url))
    app = create_app({
        "TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": url, "SITE_DIR": str(project / "build" / "site"),
        "INDEX_DIR": str(project / "build" / "index"), "MANIFEST_PATH": str(project / "build" / "manifest.json"),
        "ATTACHMENTS_DIR": str(folder / "attachments"),
    })
    yield app.test_client()
    app.extensions["guichet_db"].dispose()


def test_suggests_the_article_with_its_site_url_and_a_plain_text_snippet(client):
    response = client.get("/api/v1/suggest", query_string={"q": "ma boîte mail est pleine, je peux plus envoyer"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["abstained"] is False
    top = body["suggestions"][0]
    assert top["id"] == "boite-pleine"
    assert top["url"] == "/messagerie/boite-pleine/"
    assert "<" not in top["snippet"]
    start, end = top["highlights"][0]
    assert top["snippet"][start:end].strip()
    assert response.headers["Cache-Control"] == "no-store"


def test_technician_only_articles_are_never_suggested(client):
    body = client.get("/api/v1/suggest", query_string={"q": "Redémarrer le tunnel sur le pare-feu fgt-canari-zebulon-42"}).get_json()
    assert "reset-fortigate-interne" not in [s["id"] for s in body["suggestions"]]
    assert "canari" not in str(body["suggestions"]).lower()


def test_short_or_out_of_scope_text_gets_no_suggestion(client):
    assert client.get("/api/v1/suggest", query_string={"q": "vp"}).get_json()["suggestions"] == []
    body = client.get("/api/v1/suggest", query_string={"q": "la recette de la tarte aux pommes de mamie"}).get_json()
    assert body["abstained"] is True and body["suggestions"] == []


@pytest.mark.parametrize("query, field", [({"q": "x" * 201}, "q"), ({"q": "vpn", "k": "0"}, "k"),
                                          ({"q": "vpn", "k": "abc"}, "k"), ({"q": "vpn", "lang": "de"}, "lang")])
def test_bad_parameters_get_a_4xx_envelope_naming_the_field(client, query, field):
    response = client.get("/api/v1/suggest", query_string=query)
    assert 400 <= response.status_code < 500
    assert field in response.get_json()["error"]["fields"]


def test_a_rebuilt_index_is_swapped_in_without_restart(client, project):
    query = {"q": "l'écran reste noir quand je branche le vidéoprojecteur"}
    before = client.get("/api/v1/suggest", query_string=query).get_json()
    assert "videoprojecteur-ecran-noir" not in [s["id"] for s in before["suggestions"]]
    article = project / "kb" / "messagerie" / "videoprojecteur-ecran-noir.md"
    article.write_text(
        "---\nid: videoprojecteur-ecran-noir\ntitle: \"Vidéoprojecteur : écran noir\"\ntype: solution\n"
        "category: messagerie\naudience: employees\nsymptoms:\n  - l'écran reste noir avec le vidéoprojecteur\n"
        "  - le projecteur n'affiche rien\n  - pas d'image sur le vidéoprojecteur\nowner: Équipe support N1\n"
        "reviewed: 2026-10-01\n---\n\n# Vidéoprojecteur : écran noir\n\n## Symptômes\n\nRien ne s'affiche.\n\n"
        "## Cause\n\nMauvaise source.\n\n## Résolution\n\nAppuyez sur Windows + P puis choisissez Dupliquer.\n",
        encoding="utf-8",
    )
    assert mkdocs_build(project).returncode == 0
    after = client.get("/api/v1/suggest", query_string=query).get_json()
    assert after["suggestions"] and after["suggestions"][0]["id"] == "videoprojecteur-ecran-noir"
    assert after["suggestions"][0]["url"] == "/messagerie/videoprojecteur-ecran-noir/"


def test_missing_index_answers_503_with_retry_after(tmp_path):
    url = f"sqlite:///{tmp_path / 'guichet.sqlite3'}"
    upgrade(Database(url))
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": url, "INDEX_DIR": str(tmp_path / "none"),
                      "MANIFEST_PATH": str(tmp_path / "none.json"), "ATTACHMENTS_DIR": str(tmp_path / "a")})
    response = app.test_client().get("/api/v1/suggest", query_string={"q": "imprimante"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.get_json()["error"]["code"] == "index_not_ready"
    app.extensions["guichet_db"].dispose()


def test_an_index_of_an_older_format_is_rebuilt_from_the_kb(project, tmp_path):
    import json
    import shutil

    from search import IndexHolder

    artifact = tmp_path / "index"
    shutil.copytree(project / "build" / "index", artifact)
    manifest = artifact / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["format"] = "guichet-suggest/0"
    manifest.write_text(json.dumps(data), encoding="utf-8")
    assert IndexHolder(artifact).reload_if_changed() is False  # without the KB folder: stale stays an error
    holder = IndexHolder(artifact, project / "kb")
    index = holder.get()
    assert index.suggest("ma boite mail est pleine").suggestions[0].id == "boite-pleine"
    assert json.loads(manifest.read_text(encoding="utf-8"))["format"] != "guichet-suggest/0"


def test_a_client_asking_faster_than_anyone_types_gets_429(project, tmp_path):
    """L-02: a burst passes, then the per-client rate applies (Retry-After); another client is not affected."""
    url = f"sqlite:///{tmp_path / 'guichet.sqlite3'}"
    upgrade(Database(url))
    app = create_app({
        "TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": url, "SITE_DIR": str(project / "build" / "site"),
        "INDEX_DIR": str(project / "build" / "index"), "MANIFEST_PATH": str(project / "build" / "manifest.json"),
        "ATTACHMENTS_DIR": str(tmp_path / "attachments"), "SUGGEST_PER_SECOND": 0.05, "SUGGEST_BURST": 5,
        "COOKIE_SECURE": False,  # the test client speaks plain HTTP
    })
    from ticket_service.auth.rate_limit import TokenBuckets

    now = [1000.0]  # the limiter's clock, driven here: how fast a query runs must not matter
    app.extensions["guichet.suggest_limiter"] = TokenBuckets(0.05, 5, clock=lambda: now[0])
    noisy = app.test_client()
    statuses = [noisy.get("/api/v1/suggest", query_string={"q": f"vpn coupe {n}"},
                          environ_base={"REMOTE_ADDR": "10.0.0.7"}).status_code for n in range(80)]
    assert statuses[:50] == [200] * 50  # an anonymous address gets ten times the burst (a company behind one NAT)
    assert statuses[50:] == [429] * 30
    limited = noisy.get("/api/v1/suggest", query_string={"q": "vpn"}, environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert limited.get_json()["error"]["code"] == "too_many_requests"
    other = app.test_client().get("/api/v1/suggest", query_string={"q": "vpn"}, environ_base={"REMOTE_ADDR": "10.0.0.8"})
    assert other.status_code == 200
    from sqlalchemy import select

    from ticket_service.demo.tickets import ensure_people
    from ticket_service.store.models import Person

    with app.app_context(), app.extensions["guichet_db"].write() as db:
        ensure_people(db, "mot-de-passe-de-test", "pbkdf2:sha256:1000")
        person = db.scalars(select(Person)).first()
        uid, epoch = person.id, person.session_epoch
    signed_in = app.test_client()
    with signed_in.session_transaction() as cookie:
        cookie["uid"], cookie["epoch"] = uid, epoch  # a person is limited on their own, wherever they sit
    mine = [signed_in.get("/api/v1/suggest", query_string={"q": "vpn"}, environ_base={"REMOTE_ADDR": "10.0.0.7"}).status_code
            for _ in range(12)]
    assert mine == [200] * 5 + [429] * 7
    now[0] += 20.0  # one token back at 0.05 per second
    again = signed_in.get("/api/v1/suggest", query_string={"q": "vpn"}, environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert again.status_code == 200
