"""The KB revision a resolution records, and the article ids the service knows, come from the site build's manifest."""

from __future__ import annotations

import json
import os

import pytest

from search import load_articles
from site_plugins.manifest import build_manifest, write_json_atomically
from ticket_service import create_app
from ticket_service.domain.calendar import BusinessCalendar
from ticket_service.domain.context import Context
from ticket_service.domain.policies import load_policies
from ticket_service.runtime import get_ctx
from tshelpers import ROOT, app_config, new_ticket

ARTICLES = load_articles(ROOT / "kb")
POLICIES = load_policies(ROOT / "helpdesk.yml")
PRINTER = "imprimante-hors-connexion"


def write_manifest(path, revision, articles=ARTICLES):
    """Write the manifest as the site build does (same function, same shape)."""
    write_json_atomically(build_manifest(articles, {}, revision), path)


@pytest.fixture(scope="module")
def manifest_path(tmp_path_factory):
    return tmp_path_factory.mktemp("build") / "manifest.json"


@pytest.fixture(scope="module")
def app(db_url, tmp_path_factory, manifest_path):
    """The app without KB_REVISION, reading a manifest the tests write."""
    application = create_app(app_config(db_url, tmp_path_factory.mktemp("app"), KB_REVISION=None,
                                        MANIFEST_PATH=str(manifest_path)))
    yield application
    application.extensions["guichet_db"].dispose()


def resolve_with_printer_article(api) -> list[dict]:
    ticket = new_ticket(api("employee_a"))
    response = api("n1").post(f"/api/v1/tickets/{ticket['id']}/transitions",
                              json={"to": "resolved", "note": "Redémarrage du spouleur d'impression.", "articles": [PRINTER]})
    assert response.status_code == 200, response.get_json()
    return api("n1").get(f"/api/v1/tickets/{ticket['id']}/articles").get_json()["items"]


def test_a_resolution_records_the_revision_of_the_current_manifest(app, api, manifest_path):
    write_manifest(manifest_path, "3f2a9c1d0b7e")
    assert [link["kb_revision"] for link in resolve_with_printer_article(api)] == ["3f2a9c1d0b7e"]
    # the site is rebuilt while the service runs: the next resolution records the new revision
    write_manifest(manifest_path, "8d41e07a5c22")
    assert [link["kb_revision"] for link in resolve_with_printer_article(api)] == ["8d41e07a5c22"]


def test_article_exists_follows_the_manifest(app, manifest_path):
    internal = next(a for a in ARTICLES if a.audience == "technicians")
    write_manifest(manifest_path, "rev-a")
    with app.app_context():
        ctx = get_ctx()
        assert ctx.article_exists(PRINTER) and not ctx.article_exists("fiche-qui-n-existe-pas")
        assert ctx.article_audience(internal.id) == "technicians" and ctx.article_audience(PRINTER) == "employees"
        write_manifest(manifest_path, "rev-b", [a for a in ARTICLES if a.id != PRINTER])  # the article was removed
        assert not ctx.article_exists(PRINTER) and ctx.kb_revision == "rev-b"


def test_a_configured_revision_wins_over_the_manifest(tmp_path):
    write_manifest(tmp_path / "manifest.json", "from-the-build")
    ctx = Context(POLICIES, BusinessCalendar.from_policies(POLICIES), ROOT / "kb", manifest_path=tmp_path / "manifest.json",
                  configured_revision="from-settings")
    assert ctx.kb_revision == "from-settings" and ctx.article_exists(PRINTER)


def write_article(kb, article_id, audience="employees"):
    path = kb / "impression" / f"{article_id}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\nid: {article_id}\ntitle: Une fiche\ntype: faq\ncategory: impression\naudience: {audience}\n"
                    "---\n\n# Une fiche\n", encoding="utf-8")
    return path


def test_without_a_site_build_the_ids_come_from_the_kb_folder_and_no_revision(tmp_path):
    kb = tmp_path / "kb"
    write_article(kb, "toner-vide")
    (kb / "impression" / "cassee.md").write_text("---\nid: [pas fermé\n---\n", encoding="utf-8")  # skipped, not fatal
    ctx = Context(POLICIES, BusinessCalendar.from_policies(POLICIES), kb, manifest_path=tmp_path / "absent.json")
    assert ctx.article_exists("toner-vide") and not ctx.article_exists("bac-papier")
    assert ctx.kb_revision is None
    write_article(kb, "bac-papier", "technicians")  # a new article, no restart
    assert ctx.article_audience("bac-papier") == "technicians"
    (tmp_path / "absent.json").write_text("{pas du json", encoding="utf-8")  # a broken manifest: the folder still answers
    assert ctx.article_exists("toner-vide")
    write_manifest(tmp_path / "absent.json", "rev-built", ARTICLES)  # the first site build
    assert ctx.kb_revision == "rev-built" and not ctx.article_exists("toner-vide") and ctx.article_exists(PRINTER)


def test_an_unchanged_manifest_is_read_once(tmp_path, monkeypatch):
    path = tmp_path / "manifest.json"
    write_manifest(path, "rev-once")
    ctx = Context(POLICIES, BusinessCalendar.from_policies(POLICIES), ROOT / "kb", manifest_path=path)
    reads = []
    real_loads = json.loads
    monkeypatch.setattr(json, "loads", lambda text, **kw: reads.append(1) or real_loads(text, **kw))
    for _ in range(5):
        assert ctx.kb_revision == "rev-once" and ctx.article_exists(PRINTER)
    assert len(reads) == 1
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # touched: read again
    assert ctx.kb_revision == "rev-once" and len(reads) == 2


def test_the_suggestions_and_the_resolutions_read_one_manifest(tmp_path):
    from ticket_service.domain.kb_manifest import KBManifest

    path = tmp_path / "manifest.json"
    path.write_text('{"version": 1, "kb_revision": "abc", "articles": {"vpn": {"audience": "employees", '
                    '"url": "reseau/vpn/"}, "interne": {"audience": "technicians", "url": null}}}', encoding="utf-8")
    manifest = KBManifest(path, None)
    assert manifest.url("vpn") == "/reseau/vpn/" and manifest.url("interne") is None and manifest.url("x") is None
    path.write_text("{pas du json", encoding="utf-8")  # a broken manifest is not read (it used to fail suggestions)
    assert manifest.url("vpn") is None
