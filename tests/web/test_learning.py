"""« Apprentissage des suggestions »: candidates from resolutions and « Ça a résolu », technician review, history.jsonl."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from web_fixtures import CSRF, DATABASES, Browser, migrated_app, new_ticket
from tshelpers import ROLES

from ticket_service.domain import tickets, transitions
from ticket_service.runtime import get_ctx
from ticket_service.store.models import HelpEvent, LearnedPair, Person, Ticket, utcnow

PAGE = "/desk/apprentissage"


@pytest.fixture(scope="module", params=DATABASES)
def app(request, tmp_path_factory):
    """The real app with the test people (no demo data); the index folder is the test's own."""
    tmp = tmp_path_factory.mktemp("learning")
    with migrated_app(request.param, tmp, demo=False, INDEX_DIR=str(tmp / "index")) as application:
        yield application


def history(app) -> list[dict]:
    """Return the lines of the index folder's history.jsonl (none when it does not exist)."""
    from pathlib import Path

    path = Path(app.config["INDEX_DIR"]) / "history.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def resolved_ticket(app, title: str, description: str, articles: list[str], *, status: str = "resolved") -> int:
    """Create a ticket as employee_a and resolve it at N1 with ``articles`` linked."""
    ticket_id = new_ticket(app, "employee_a", title=title, description=description)
    with app.app_context(), app.extensions["guichet_db"].write() as session:
        ctx = get_ctx()
        tech = session.scalar(select(Person).where(Person.email == ROLES["n1"]))
        ticket = session.get(Ticket, ticket_id)
        transitions.transition(session, ctx, ticket, tech, "in_progress")
        if status != "in_progress":
            transitions.transition(session, ctx, ticket, tech, "resolved", note="Résolu en suivant la fiche.",
                                 articles=articles)
        else:
            tickets.link_article(session, ctx, ticket, tech, articles[0])
    return ticket_id


def pending_block(page: str, source: str) -> str | None:
    """Return the HTML of the review form of ``source`` on the page, or None."""
    for form in re.findall(r'<form[^>]*learning-candidate.*?</form>', page, flags=re.S):
        if f'value="{source}"' in form:
            return form
    return None


def decide(browser: Browser, source: str, action: str, text: str | None = None, articles: list[str] | None = None,
           follow: bool = False):
    """Post the review form of ``source`` as the page would."""
    form = {"source": source, "action": action}
    if text is not None:
        form["text"] = text
    data = [(k, v) for k, v in form.items()] + [("articles", a) for a in (articles or [])]
    token = browser.token(PAGE)
    from werkzeug.datastructures import MultiDict

    return browser.client.post(f"{PAGE}/decision", data=MultiDict(data + [("csrf_token", token)]),
                               follow_redirects=follow)


def test_only_technicians_reach_the_review(app):
    assert Browser(app).get(PAGE).status_code in (302, 303)
    employee = Browser(app, "employee_a")
    assert employee.get(PAGE).status_code == 403
    assert employee.submit(f"{PAGE}/decision", {"source": "ticket:1", "action": "approve"}).status_code == 403
    assert employee.submit(f"{PAGE}/retirer", {"pair": "1"}).status_code == 403


def test_a_decision_without_the_csrf_token_is_refused(app):
    technician = Browser(app, "n1")
    response = technician.client.post(f"{PAGE}/decision", data={"source": "ticket:1", "action": "approve"})
    assert response.status_code == 400 and history(app) == []


def test_resolved_ticket_is_offered_then_learnt_with_the_reviewed_text(app):
    ticket = resolved_ticket(app, "Visio qui saccade", "La visio saccade avec les clients depuis la maison, Jean Dupont",
                             ["teletravail-connexion-lente"])
    technician = Browser(app, "n1")
    page = technician.get(PAGE).text
    form = pending_block(page, f"ticket:{ticket}")
    assert form is not None and "La visio saccade avec les clients depuis la maison, Jean Dupont" in form
    assert 'value="teletravail-connexion-lente" checked' in form
    reviewed = "Visio qui saccade\n  la visio saccade avec les clients depuis la maison"  # name removed by the technician
    response = decide(technician, f"ticket:{ticket}", "approve", reviewed, ["teletravail-connexion-lente"])
    assert response.status_code == 303
    lines = [h for h in history(app) if h["source"] == f"ticket:{ticket}"]
    assert lines == [{"text": "Visio qui saccade la visio saccade avec les clients depuis la maison",
                      "articles": ["teletravail-connexion-lente"], "reviewed": True, "source": f"ticket:{ticket}",
                      "lang": None}]
    page = technician.get(PAGE).text
    assert pending_block(page, f"ticket:{ticket}") is None
    assert "la visio saccade avec les clients depuis la maison" in page.split('id="learned"')[1]
    again = decide(technician, f"ticket:{ticket}", "approve", "autre texte", ["teletravail-connexion-lente"], follow=True)
    assert "déjà été traitée" in again.text
    assert [h["text"] for h in history(app) if h["source"] == f"ticket:{ticket}"] == [lines[0]["text"]]


def test_only_kept_articles_of_the_kb_are_learnt(app):
    ticket = resolved_ticket(app, "Mot de passe VPN refusé", "Le VPN dit mot de passe incorrect",
                             ["vpn-forticlient-erreur-credentials", "compte-verrouille"])
    technician = Browser(app, "n1")
    decide(technician, f"ticket:{ticket}", "approve", "le vpn dit mot de passe incorrect",
           ["vpn-forticlient-erreur-credentials", "une-fiche-inventee"])
    (line,) = [h for h in history(app) if h["source"] == f"ticket:{ticket}"]
    assert line["articles"] == ["vpn-forticlient-erreur-credentials"]


def test_an_approval_needs_a_text_and_an_article(app):
    ticket = resolved_ticket(app, "Imprimante hors ligne", "L'imprimante du 2e est hors ligne", ["imprimante-hors-connexion"])
    technician = Browser(app, "n1")
    empty = decide(technician, f"ticket:{ticket}", "approve", "   ", ["imprimante-hors-connexion"], follow=True)
    assert "vide" in empty.text
    none_kept = decide(technician, f"ticket:{ticket}", "approve", "imprimante hors ligne", [], follow=True)
    assert "au moins une fiche" in none_kept.text
    too_long = decide(technician, f"ticket:{ticket}", "approve", "x" * 501, ["imprimante-hors-connexion"], follow=True)
    assert "trop long" in too_long.text
    with app.app_context(), app.extensions["guichet_db"].reader() as session:
        assert session.scalar(select(LearnedPair).where(LearnedPair.source == f"ticket:{ticket}")) is None
    assert pending_block(technician.get(PAGE).text, f"ticket:{ticket}") is not None


def test_a_rejected_pair_never_reaches_the_index_nor_comes_back(app):
    ticket = resolved_ticket(app, "Écran noir", "Écran noir après la mise à jour", ["mise-a-jour-windows-bloquee"])
    technician = Browser(app, "n1")
    assert decide(technician, f"ticket:{ticket}", "reject").status_code == 303
    assert not [h for h in history(app) if h["source"] == f"ticket:{ticket}"]
    assert pending_block(technician.get(PAGE).text, f"ticket:{ticket}") is None


def test_open_tickets_and_unknown_sources_are_not_offered(app):
    ticket = resolved_ticket(app, "Wifi refusé", "Le wifi refuse le mot de passe", ["wifi-ferrand-pro-connexion-refusee"],
                             status="in_progress")
    technician = Browser(app, "n1")
    assert pending_block(technician.get(PAGE).text, f"ticket:{ticket}") is None
    for source in (f"ticket:{ticket}", "ticket:99999999", "help:nope", "autre:1"):
        response = decide(technician, source, "approve", "un texte", ["wifi-ferrand-pro-connexion-refusee"])
        assert response.status_code == 404, source


def test_withdrawn_pair_leaves_the_index(app):
    ticket = resolved_ticket(app, "Boîte pleine", "Ma boîte mail est pleine", ["boite-aux-lettres-pleine"])
    technician = Browser(app, "n1")
    decide(technician, f"ticket:{ticket}", "approve", "ma boite mail est pleine", ["boite-aux-lettres-pleine"])
    assert [h for h in history(app) if h["source"] == f"ticket:{ticket}"]
    with app.app_context(), app.extensions["guichet_db"].reader() as session:
        pair = session.scalar(select(LearnedPair.id).where(LearnedPair.source == f"ticket:{ticket}"))
    assert technician.submit(f"{PAGE}/retirer", {"pair": str(pair)}).status_code == 303
    assert not [h for h in history(app) if h["source"] == f"ticket:{ticket}"]
    assert "pas utilisée" in technician.submit(f"{PAGE}/retirer", {"pair": str(pair)}, follow_redirects=True).text
    assert pending_block(technician.get(PAGE).text, f"ticket:{ticket}") is None  # decided once, not offered again


def test_solved_click_is_offered_with_the_query_it_answered(app):
    now = utcnow()
    session_id = "sess-learning-01"
    events = [
        HelpEvent(event_id="ev-learn-01", session_id=session_id, type="suggestions_shown", at=now - timedelta(minutes=3),
                  query="outlook redemande mon mot de passe"),
        HelpEvent(event_id="ev-learn-02", session_id=session_id, type="suggestions_shown", at=now - timedelta(minutes=2),
                  query="outlook sur mac redemande sans arrêt le mot de passe"),
        HelpEvent(event_id="ev-learn-03", session_id=session_id, type="solved", at=now - timedelta(minutes=1),
                  article_id="outlook-mac-redemande-mot-de-passe"),
        HelpEvent(event_id="ev-learn-04", session_id="sess-learning-02", type="solved", at=now,
                  article_id="poste-lent"),  # its query was purged: nothing to learn
        HelpEvent(event_id="ev-learn-05", session_id=session_id, type="solved", at=now - timedelta(seconds=30),
                  article_id="poste-lent", data='{"source": "article"}'),  # clicked on an article page, not the form
    ]
    with app.app_context(), app.extensions["guichet_db"].write() as session:
        session.add_all(events)
    technician = Browser(app, "n1")
    page = technician.get(PAGE).text
    form = pending_block(page, "help:ev-learn-03")
    assert form is not None and "outlook sur mac redemande sans arrêt le mot de passe" in form
    assert pending_block(page, "help:ev-learn-04") is None and pending_block(page, "help:ev-learn-05") is None
    decide(technician, "help:ev-learn-03", "approve", "outlook sur mac redemande sans arrêt le mot de passe",
           ["outlook-mac-redemande-mot-de-passe"])
    assert [h["articles"] for h in history(app) if h["source"] == "help:ev-learn-03"] == [["outlook-mac-redemande-mot-de-passe"]]


def test_publishing_keeps_lines_of_other_origins(app):
    from pathlib import Path

    path = Path(app.config["INDEX_DIR"]) / "history.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    foreign = {"text": "importé à la main", "articles": ["poste-lent"], "reviewed": True, "source": "import:1", "lang": None}
    path.write_text(json.dumps(foreign, ensure_ascii=False) + "\n" + path.read_text(encoding="utf-8")
                    if path.exists() else json.dumps(foreign) + "\n", encoding="utf-8")
    ticket = resolved_ticket(app, "Poste lent", "Mon pc rame", ["poste-lent"])
    decide(Browser(app, "n1"), f"ticket:{ticket}", "approve", "mon pc rame", ["poste-lent"])
    lines = history(app)
    assert foreign in lines and any(h["source"] == f"ticket:{ticket}" for h in lines)


def test_review_page_escapes_request_text(app):
    ticket = resolved_ticket(app, "<script>alert(1)</script>", "<img src=x onerror=alert(2)>", ["poste-lent"])
    page = Browser(app, "n1").get(PAGE).text
    form = pending_block(page, f"ticket:{ticket}")
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in form


def test_review_page_in_english(app):
    technician = Browser(app, "n1")
    page = technician.get(PAGE, query_string={"lang": "en"}).text
    assert "Suggestion learning" in page and "Apprentissage des suggestions" not in page
    assert CSRF.search(page)


def test_identical_requests_are_one_card_and_one_decision(app):
    now = utcnow()
    rows = []
    for n in (1, 2):
        session_id = f"sess-same-{n}"
        rows += [HelpEvent(event_id=f"ev-same-{n}a", session_id=session_id, type="suggestions_shown",
                           at=now - timedelta(minutes=10 - n), query="Teams  ne démarre plus" if n == 1 else "teams ne démarre plus"),
                 HelpEvent(event_id=f"ev-same-{n}b", session_id=session_id, type="solved", at=now - timedelta(minutes=5 - n),
                           article_id="teams-micro-camera")]
    with app.app_context(), app.extensions["guichet_db"].write() as session:
        session.add_all(rows)
    technician = Browser(app, "n1")
    page = technician.get(PAGE).text
    card = pending_block(page, "help:ev-same-2b")
    assert card is not None and 'value="help:ev-same-1b"' in card and "2 demandes identiques" in card
    from werkzeug.datastructures import MultiDict

    data = MultiDict([("source", "help:ev-same-2b"), ("source", "help:ev-same-1b"), ("action", "reject"),
                      ("csrf_token", technician.token(PAGE))])
    assert technician.client.post(f"{PAGE}/decision", data=data).status_code == 303
    with app.app_context(), app.extensions["guichet_db"].reader() as session:
        decided = set(session.scalars(select(LearnedPair.source).where(LearnedPair.decision == "rejected")))
    assert {"help:ev-same-1b", "help:ev-same-2b"} <= decided


def test_two_technicians_deciding_at_once_record_one_decision(app):
    import threading

    ticket = resolved_ticket(app, "Onedrive bloqué", "OneDrive ne synchronise plus", ["onedrive-ne-synchronise-plus"])
    clients = [Browser(app, "n1"), Browser(app, "n2")]
    tokens = [c.token(PAGE) for c in clients]
    barrier, results = threading.Barrier(2), [None, None]

    def approve(n):
        from werkzeug.datastructures import MultiDict

        data = MultiDict([("source", f"ticket:{ticket}"), ("action", "approve"), ("text", f"onedrive bloqué {n}"),
                          ("articles", "onedrive-ne-synchronise-plus"), ("csrf_token", tokens[n])])
        barrier.wait()
        results[n] = clients[n].client.post(f"{PAGE}/decision", data=data, follow_redirects=True)

    threads = [threading.Thread(target=approve, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status_code for r in results] == [200, 200]  # both land back on the page, neither gets a 500
    assert sorted("déjà été traitée" in r.text for r in results) == [False, True]
    with app.app_context(), app.extensions["guichet_db"].reader() as session:
        rows = session.scalars(select(LearnedPair).where(LearnedPair.source == f"ticket:{ticket}")).all()
    assert len(rows) == 1
    assert [h["text"] for h in history(app) if h["source"] == f"ticket:{ticket}"] == [rows[0].text]
