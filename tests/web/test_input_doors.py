"""Every door reads input by one rule: ids in ASCII digits, no NUL in texts, no NaN in JSON (API, pages, no-JS form)."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select
from web_fixtures import app, browser, ids, new_ticket  # noqa: F401  (fixtures)
from tshelpers import Api

from ticket_service.http.validation import parse_id
from ticket_service.store.models import Comment, HelpEvent, LearnedPair, Ticket, TicketLink

# Superscript two, Arabic-Indic twelve, fullwidth three: digits to str.isdigit() (int() even reads the last two).
NOT_ASCII = ["²", "١٢", "３"]
NUL_TEXTS = ["\x00\x00\x00", "Imprimante\x00 en panne"]


def _ticket(app, ticket_id):
    with app.extensions["guichet_db"].reader() as session:
        return session.get(Ticket, ticket_id)


def _assignees(app) -> dict[int, int | None]:
    with app.extensions["guichet_db"].reader() as session:
        return dict(session.execute(select(Ticket.id, Ticket.assignee_id)).all())


def _comments(app, ticket_id) -> list[str]:
    with app.extensions["guichet_db"].reader() as session:
        return list(session.scalars(select(Comment.body).where(Comment.ticket_id == ticket_id)))


def test_parse_id_takes_ascii_digits_only():
    assert [parse_id(v) for v in ("7", "0042", "999999999")] == [7, 42, 999999999]
    for raw in (*NOT_ASCII, "", " 1", "1 ", "+1", "-1", "1_000", "1\n", "0x1f", "1234567890", None):
        assert parse_id(raw) is None, raw


# --- integers ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", NOT_ASCII)
def test_api_query_numbers_are_ascii_digits(app, raw):
    response = Api(app, "n1").get("/api/v1/tickets", query_string={"page": raw})
    assert response.status_code == 422 and response.get_json()["error"]["fields"] == {"page": "nombre entier attendu"}


@pytest.mark.parametrize("raw", NOT_ASCII)
def test_portal_rating_refuses_unicode_digits_with_a_message(app, browser, raw):
    ticket = new_ticket(app, "employee_a", title="Clavier qui répète les touches")
    browser("n1").submit(f"/desk/tickets/{ticket}/resoudre", {"note": "Clavier remplacé avec vous.", "kb_gap": "1"})
    client = browser("employee_a")
    assert client.submit(f"/mes-demandes/{ticket}/resolu").status_code == 303
    response = client.submit(f"/mes-demandes/{ticket}/evaluer", {"rating": raw})
    assert response.status_code == 303 and response.location.endswith(f"/mes-demandes/{ticket}")
    assert "Numéro invalide" in client.get(response.location).text
    assert _ticket(app, ticket).satisfaction_rating is None  # « ３ » once counted as 3 stars
    assert client.submit(f"/mes-demandes/{ticket}/evaluer", {"rating": "3"}).status_code == 303
    assert _ticket(app, ticket).satisfaction_rating == 3


@pytest.mark.parametrize("raw", NOT_ASCII)
def test_desk_page_number_and_search_number(app, browser, raw):
    n1 = browser("n1")
    assert n1.get("/desk", query_string={"page": raw}).status_code == 400
    assert n1.get("/desk", query_string={"q": raw}).status_code == 200
    assert n1.get("/desk", query_string={"q": f"#{raw}"}).status_code == 200


@pytest.mark.parametrize("raw", NOT_ASCII)
def test_desk_bulk_ids_assignee_and_problem(app, browser, ids, raw):
    ticket = new_ticket(app, "employee_b", title="Lot aux chiffres exotiques")
    n1 = browser("n1")
    token = n1.token("/desk")
    before = _assignees(app)
    cases = [
        ({"ids": [raw], "action": "assign", "assignee_id": str(ids["people"]["n2"])}, "Cochez au moins un ticket"),
        ({"ids": [str(ticket)], "action": "assign", "assignee_id": raw}, "Numéro invalide"),
        ({"ids": [str(ticket)], "action": "link_problem", "problem_id": raw}, "Numéro invalide"),
    ]
    for form, message in cases:
        response = n1.client.post("/desk/bulk", data={"csrf_token": token, **form})
        assert response.status_code == 303, form
        assert message in n1.get(response.location).text, form
    assert _assignees(app) == before
    with app.extensions["guichet_db"].reader() as session:
        assert session.scalar(select(TicketLink).where(TicketLink.source_id == ticket)) is None


@pytest.mark.parametrize("raw", NOT_ASCII)
def test_desk_ticket_assignee_and_link_target(app, browser, raw):
    ticket = new_ticket(app, "employee_b", title="Lien vers un numéro exotique")
    n1 = browser("n1")
    for path, form in ((f"/desk/tickets/{ticket}/modifier", {"assignee_id": raw}),
                       (f"/desk/tickets/{ticket}/lier", {"kind": "related", "target_id": raw}),
                       (f"/desk/tickets/{ticket}/lier", {"kind": "duplicate_of", "target_id": f"#{raw}"})):
        response = n1.submit(path, form)
        assert response.status_code == 303 and response.location.endswith(f"/desk/tickets/{ticket}"), path
        assert "Numéro invalide" in n1.get(response.location).text, path
    assert _ticket(app, ticket).assignee_id is None and _ticket(app, ticket).status == "new"
    with app.extensions["guichet_db"].reader() as session:
        assert session.scalar(select(TicketLink).where(TicketLink.source_id == ticket)) is None


@pytest.mark.parametrize("raw", NOT_ASCII)
def test_learning_review_ids(app, browser, raw):
    n1 = browser("n1")
    withdraw = n1.submit("/desk/apprentissage/retirer", {"pair": raw})
    assert withdraw.status_code == 303 and withdraw.location.endswith("/desk/apprentissage")
    assert "Numéro invalide" in n1.get(withdraw.location).text
    decision = n1.submit("/desk/apprentissage/decision", {"source": f"ticket:{raw}", "action": "reject"})
    assert decision.status_code == 404  # no such proposal, not a crash
    with app.extensions["guichet_db"].reader() as session:
        assert session.scalar(select(LearnedPair).where(LearnedPair.source == f"ticket:{raw}")) is None


# --- texts ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", NUL_TEXTS)
def test_api_refuses_nul_in_a_title(app, text):
    response = Api(app, "employee_a").post("/api/v1/tickets", json={"title": text, "description": "Texte normal."})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_text"


@pytest.mark.parametrize("field", ["title", "description"])
@pytest.mark.parametrize("text", NUL_TEXTS)
def test_nojs_form_refuses_nul_like_the_api(app, browser, field, text):
    marker = f"NUL-{uuid.uuid4().hex[:8]}"
    form = {"title": f"Titre {marker}", "description": f"Détails {marker}", field: text, "form_key": marker + "-key"}
    response = browser("employee_a").submit("/aide/formulaire", form)
    assert response.status_code == 400 and "Texte invalide" in response.text
    with app.extensions["guichet_db"].reader() as session:
        assert not any("\x00" in title for title in session.scalars(select(Ticket.title)))  # SQLite's LIKE stops at a NUL
        assert session.scalar(select(Ticket).where(Ticket.title.contains(marker) | Ticket.description.contains(marker))) is None


@pytest.mark.parametrize("title", ["   ", "\t \n", "\u3000\u00a0 "])
def test_nojs_form_title_of_spaces_is_not_three_characters(app, browser, title):
    marker = f"ESPACES-{uuid.uuid4().hex[:8]}"
    response = browser("employee_a").submit("/aide/formulaire", {
        "title": title, "description": f"Détails {marker}", "form_key": marker + "-key"})
    assert response.status_code == 422 and "au moins 3 caractères" in response.text
    with app.extensions["guichet_db"].reader() as session:
        assert session.scalar(select(Ticket).where(Ticket.description.contains(marker))) is None


@pytest.mark.parametrize("text", [*NUL_TEXTS, "   "])
def test_portal_reply_refuses_nul_and_blank(app, browser, text):
    ticket = new_ticket(app, "employee_a", title="Réponse au caractère nul")
    client = browser("employee_a")
    response = client.submit(f"/mes-demandes/{ticket}/repondre", {"body": text})
    assert response.status_code == 303 and response.location.endswith(f"/mes-demandes/{ticket}")
    assert "flash-error" in client.get(response.location).text
    assert _comments(app, ticket) == []


@pytest.mark.parametrize("internal", ["0", "1"])
@pytest.mark.parametrize("text", NUL_TEXTS)
def test_desk_comment_refuses_nul(app, browser, text, internal):
    ticket = new_ticket(app, "employee_b", title="Note au caractère nul")
    n1 = browser("n1")
    response = n1.submit(f"/desk/tickets/{ticket}/commentaire", {"body": text, "internal": internal})
    assert response.status_code == 303 and response.location.endswith(f"/desk/tickets/{ticket}")
    assert "Texte invalide" in n1.get(response.location).text
    assert _comments(app, ticket) == []


# --- JSON numbers -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_events_refuse_a_nan_score(app, constant):
    session_id = "sess-" + uuid.uuid4().hex[:20]
    event = json.dumps({"id": uuid.uuid4().hex, "type": "suggestions_shown", "query": "imprimante", "abstained": False,
                        "suggestions": [{"id": "imprimante-hors-connexion", "rank": 1, "score": 0.5}]})
    body = json.dumps({"session": session_id, "events": ["EVENT"]}).replace('"EVENT"', event.replace("0.5", constant))
    response = Api(app).post("/api/v1/events", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_json"
    with app.extensions["guichet_db"].reader() as session:
        assert session.scalar(select(HelpEvent).where(HelpEvent.session_id == session_id)) is None


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_ticket_create_refuses_infinity(app, constant):
    marker = f"INFINI-{uuid.uuid4().hex[:8]}"
    body = f'{{"title": "Titre {marker}", "description": "Texte normal.", "requester_id": {constant}}}'
    response = Api(app, "n1").post("/api/v1/tickets", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_json"
    with app.extensions["guichet_db"].reader() as session:
        assert session.scalar(select(Ticket).where(Ticket.title.contains(marker))) is None


def test_a_nul_in_the_desk_search_is_a_400_never_a_500(browser):
    assert browser("n1").get("/desk?q=%00imprimante").status_code == 400
    assert browser("n1").get("/desk?q=imprimante").status_code == 200
