"""The learning loop end to end on the real KB: a reviewed resolution changes what employees are suggested,
withdrawing it undoes that, and a site rebuild keeps what was learnt."""

from __future__ import annotations

import json
import shutil

import pytest
from test_learning import PAGE, decide, resolved_ticket
from web_fixtures import Browser, app_on_built_site

from guichet_testing import mkdocs_build

pytestmark = pytest.mark.slow

QUERY = "la visio saccade avec les clients"  # nothing in kb/ says « saccade » or « clients »: abstained on today
PAST = "la visio saccade dès que je suis en réunion avec des clients"  # how another employee put it
ARTICLE = "teletravail-connexion-lente"


@pytest.fixture(scope="module")
def project(built_kb_site, tmp_path_factory):
    """A private copy of the built KB project (this module writes into its index folder)."""
    copy = tmp_path_factory.mktemp("learning-site") / "project"
    shutil.copytree(built_kb_site, copy)
    return copy


@pytest.fixture(scope="module")
def app(project, tmp_path_factory):
    application = app_on_built_site(project, tmp_path_factory.mktemp("learning-app"))
    yield application
    application.extensions["guichet_db"].dispose()


def suggested(app) -> dict:
    return Browser(app, "employee_b").get("/api/v1/suggest", query_string={"q": QUERY}).get_json()


def test_an_approved_resolution_is_suggested_to_the_next_employee_and_withdrawn_again(app):
    before = suggested(app)
    assert before["abstained"] and before["suggestions"] == []
    ticket = resolved_ticket(app, "Visio en télétravail", PAST, [ARTICLE])
    assert suggested(app)["abstained"], "an unreviewed resolution must not be used"
    technician = Browser(app, "n1")
    assert decide(technician, f"ticket:{ticket}", "approve", PAST, [ARTICLE]).status_code == 303
    after = suggested(app)
    assert not after["abstained"] and after["suggestions"][0]["id"] == ARTICLE, after
    assert after["suggestions"][0]["url"].startswith("/")  # a published article, linked to the site
    from sqlalchemy import select

    from ticket_service.store.models import LearnedPair

    with app.app_context(), app.extensions["guichet_db"].reader() as session:
        pair = session.scalar(select(LearnedPair.id).where(LearnedPair.source == f"ticket:{ticket}"))
    technician.submit(f"{PAGE}/retirer", {"pair": str(pair)})
    assert suggested(app)["abstained"]


def test_a_site_rebuild_keeps_the_learnt_requests(project):
    history = project / "build" / "index" / "history.jsonl"
    line = {"text": PAST, "articles": [ARTICLE], "reviewed": True, "source": "ticket:424242", "lang": None}
    history.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    manifest = json.loads((project / "build" / "index" / "manifest.json").read_text(encoding="utf-8"))
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    assert "1 past requests kept" in result.stderr
    assert json.loads(history.read_text(encoding="utf-8").splitlines()[0]) == line
    rebuilt = json.loads((project / "build" / "index" / "manifest.json").read_text(encoding="utf-8"))
    assert rebuilt["built_at"] >= manifest["built_at"]


def test_the_review_page_says_what_learning_a_request_would_change(app):
    from test_learning import pending_block

    unknown = resolved_ticket(app, "Souris", "ma souris bluetooth décroche sans arrêt", ["pret-materiel"])
    known = resolved_ticket(app, "Imprimante hors ligne", "l'imprimante est hors ligne", ["imprimante-hors-connexion"])
    page = Browser(app, "n1").get(PAGE).text
    assert 'data-rank="1" data-shown="yes"' in pending_block(page, f"ticket:{known}")
    assert "change peu" in pending_block(page, f"ticket:{known}")
    card = pending_block(page, f"ticket:{unknown}")
    assert card and "data-shown=\"no\"" in card, card
    assert "aidera les prochains" in pending_block(page, f"ticket:{unknown}")
    # the request that would teach the index something is listed before the one it already answers, though older
    assert page.index(f'value="ticket:{unknown}"') < page.index(f'value="ticket:{known}"')
