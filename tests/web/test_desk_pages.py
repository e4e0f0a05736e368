"""The technician desk: staff only, queues and counts, every ticket action through the domain rules, bulk actions."""

from __future__ import annotations

import re

import pytest
from web_fixtures import new_ticket
from sqlalchemy import select

from ticket_service.store.models import ArticleLink, Ticket, TicketLink


def _ticket(app, ticket_id):
    with app.extensions["guichet_db"].reader() as session:
        return session.get(Ticket, ticket_id)


def desk_rules(app):
    """Every desk route, with a real ticket id where the rule takes one."""
    return [(rule.rule, sorted(rule.methods - {"HEAD", "OPTIONS"})) for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/desk")]


@pytest.mark.parametrize("role", [None, "employee_a", "approver"])
def test_nobody_but_staff_reaches_any_desk_route(app, browser, ids, role):
    ticket = ids["tickets"][0]
    client = browser(role)
    rules = desk_rules(app)
    assert len(rules) >= 12
    for rule, methods in rules:
        path = re.sub(r"<int:\w+>", str(ticket), rule)
        for method in methods:
            response = client.get(path) if method == "GET" else client.submit(path, {"ids": str(ticket), "action": "assign"})
            expected = (302,) if role is None else (403,)
            assert response.status_code in expected, (role, method, path, response.status_code)
            assert "Imprimante du 2e étage" not in response.text


def test_queue_counts_filters_and_sorts(app, browser):
    client = browser("n1")
    page = client.get("/desk")
    assert page.status_code == 200 and "Bureau des techniciens" in page.text
    for queue in ("open", "mine", "group", "unassigned", "at_risk", "breached", "awaiting_approval", "kb_gap", "all"):
        assert f'data-queue="{queue}"' in page.text
        assert client.get(f"/desk?queue={queue}").status_code == 200
    gaps = client.get("/desk?queue=kb_gap")
    assert "Pas de son dans Teams" in gaps.text
    assert "Accès au dossier partagé Comptabilité" in client.get("/desk?queue=awaiting_approval").text
    filtered = client.get("/desk?queue=all&type=problem&sort=-priority")
    assert "Lenteurs du serveur de fichiers" in filtered.text and "Code PIN Windows Hello" not in filtered.text
    assert client.get("/desk?level=N3&queue=all").status_code == 200
    for bad in ("queue=drop", "sort=title", "priority=P9", "status=open%27--", "level=N7"):
        assert client.get("/desk?" + bad).status_code == 400, bad


def test_ticket_page_shows_history_sla_similar_and_internal_notes(app, browser, ids):
    client = browser("n2")
    vpn = ids["tickets"][1]
    page = client.get(f"/desk/tickets/{vpn}")
    assert page.status_code == 200
    assert "MTU suspect" in page.text and "Note interne" in page.text  # the demo's internal note
    assert "Historique" in page.text and "Coupures reproduites" in page.text  # escalation reason in the history
    assert "Première réponse" in page.text and 'id="sla"' in page.text
    assert 'id="similar"' in page.text and 'id="suggested"' in page.text and 'id="article-picker"' in page.text
    assert "vpn-forticlient-erreur-credentials" in page.text  # the picker lists the KB


def test_take_assign_classify_escalate_wait(app, browser, ids):
    ticket = new_ticket(app, "employee_b", title="Écran qui clignote")
    n1 = browser("n1")
    assert n1.submit(f"/desk/tickets/{ticket}/prendre").status_code == 303
    t = _ticket(app, ticket)
    assert t.status == "in_progress" and t.assignee_id == ids["people"]["n1"]
    n1.submit(f"/desk/tickets/{ticket}/modifier", {"assignee_id": str(ids["people"]["n1_bis"])})
    assert _ticket(app, ticket).assignee_id == ids["people"]["n1_bis"]
    n1.submit(f"/desk/tickets/{ticket}/modifier", {"type": "service_request", "category": "poste-de-travail",
                                                   "impact": "high", "urgency": "high"})
    t = _ticket(app, ticket)
    assert (t.type, t.category, t.priority) == ("service_request", "poste-de-travail", "P1")
    short = n1.submit(f"/desk/tickets/{ticket}/escalader", {"reason": "court"}, follow_redirects=True)
    assert "10 caractères" in short.text and _ticket(app, ticket).level == "N1"
    n1.submit(f"/desk/tickets/{ticket}/escalader", {"reason": "Carte graphique à remplacer sur site"})
    t = _ticket(app, ticket)
    assert t.level == "N2" and t.group == "systemes-n2" and t.assignee_id is None
    n1.submit(f"/desk/tickets/{ticket}/statut", {"to": "waiting", "body": "Quel modèle d'écran ?"})
    assert _ticket(app, ticket).status == "waiting"
    assert "Quel modèle" in browser("employee_b").get(f"/mes-demandes/{ticket}").text


def test_access_requests_keep_their_type(app, browser):
    access = new_ticket(app, "employee_b", title="Accès VPN", type="access_request", catalogue_item="vpn-nomade")
    response = browser("n1").submit(f"/desk/tickets/{access}/modifier", {"type": "incident"}, follow_redirects=True)
    assert "garde son type" in response.text and _ticket(app, access).type == "access_request"


def resolved_with_printer_article(app) -> int:
    return app.test_client().get("/api/v1/articles/imprimante-hors-connexion/stats").get_json()["resolved_count"]


def test_resolve_requires_an_article_or_the_gap_flag_and_links_the_article(app, browser):
    before = resolved_with_printer_article(app)  # the demo company already resolved tickets with it
    ticket = new_ticket(app, "employee_a", title="Imprimante hors connexion")
    n1 = browser("n1")
    refused = n1.submit(f"/desk/tickets/{ticket}/resoudre", {"note": "Imprimante relancée."}, follow_redirects=True)
    assert "La résolution est incomplète" in refused.text and _ticket(app, ticket).status == "new"
    unknown = n1.submit(f"/desk/tickets/{ticket}/resoudre", {"note": "Imprimante relancée.", "articles": "nexiste-pas"},
                        follow_redirects=True)
    assert "Fiche inconnue" in unknown.text
    n1.submit(f"/desk/tickets/{ticket}/resoudre", {"note": "Imprimante relancée.", "articles": "imprimante-hors-connexion"})
    assert _ticket(app, ticket).status == "resolved"
    with app.extensions["guichet_db"].reader() as session:
        assert session.scalar(select(ArticleLink.article_id).where(ArticleLink.ticket_id == ticket)) == "imprimante-hors-connexion"
    assert resolved_with_printer_article(app) == before + 1


def test_link_to_problem_and_mark_duplicate(app, browser, ids):
    problem = ids["tickets"][8]
    first = new_ticket(app, "employee_a", title="Lecteur S: lent")
    second = new_ticket(app, "employee_b", title="Lecteur S: très lent")
    n1 = browser("n1")
    n1.submit(f"/desk/tickets/{first}/lier", {"kind": "caused_by", "target_id": str(problem)})
    not_problem = n1.submit(f"/desk/tickets/{second}/lier", {"kind": "caused_by", "target_id": str(first)}, follow_redirects=True)
    assert "La cause doit être un problème" in not_problem.text
    n1.submit(f"/desk/tickets/{second}/lier", {"kind": "duplicate_of", "target_id": f"#{first}"})
    assert _ticket(app, second).status == "closed"
    with app.extensions["guichet_db"].reader() as session:
        kinds = set(session.scalars(select(TicketLink.kind).where(TicketLink.source_id.in_((first, second)))))
    assert kinds == {"caused_by", "duplicate_of"}


def test_bulk_assign_and_link_each_ticket_on_its_own(app, browser, ids):
    a = new_ticket(app, "employee_a", title="Bulk A")
    b = new_ticket(app, "employee_b", title="Bulk B")
    n1 = browser("n1")
    token = n1.token("/desk")
    response = n1.client.post("/desk/bulk", data={"csrf_token": token, "ids": [str(a), str(b)], "action": "assign",
                                                  "assignee_id": str(ids["people"]["n2"])})
    assert response.status_code == 303
    assert _ticket(app, a).assignee_id == _ticket(app, b).assignee_id == ids["people"]["n2"]
    problem = ids["tickets"][8]
    n1.client.post("/desk/bulk", data={"csrf_token": token, "ids": [str(a), str(b)], "action": "link_problem",
                                       "problem_id": str(problem)})
    again = n1.client.post("/desk/bulk", data={"csrf_token": token, "ids": [str(a)], "action": "link_problem",
                                               "problem_id": str(problem)}, follow_redirects=True)
    assert "Ce lien existe déjà" in again.text
    with app.extensions["guichet_db"].reader() as session:
        assert session.scalar(select(TicketLink).where(TicketLink.source_id == b, TicketLink.target_id == problem))


def test_major_incident_published_then_closed_feeds_the_banner(app, browser):
    ticket = new_ticket(app, "employee_a", title="Messagerie en panne", impact="high", urgency="high")
    n1 = browser("n1")
    n1.submit(f"/desk/tickets/{ticket}/incident-majeur", {"public_title": "Messagerie indisponible",
                                                          "public_text": "Nous rétablissons le service."})
    banner = browser("employee_b").get("/api/v1/incidents/major").get_json()["items"]
    assert any(i["title"] == "Messagerie indisponible" and i["major"] for i in banner)
    n1.submit(f"/desk/tickets/{ticket}/incident-majeur", {"close": "1"})
    banner = browser("employee_b").get("/api/v1/incidents/major").get_json()["items"]
    assert all(i["id"] != ticket for i in banner)


def test_closed_ticket_refuses_actions_with_a_message(app, browser, ids):
    closed = ids["tickets"][0]
    response = browser("n1").submit(f"/desk/tickets/{closed}/commentaire", {"body": "trop tard"}, follow_redirects=True)
    assert "Ce ticket est clos" in response.text


def test_user_text_is_escaped_everywhere(app, browser):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    ticket = new_ticket(app, "employee_a", title=f"XSS {payload}", description=f"desc {payload}")
    browser("employee_a").submit(f"/mes-demandes/{ticket}/repondre", {"body": payload})
    for client, path in ((browser("n1"), f"/desk/tickets/{ticket}"), (browser("n1"), "/desk?queue=all"),
                         (browser("employee_a"), f"/mes-demandes/{ticket}"), (browser("employee_a"), "/mes-demandes")):
        text = client.get(path).text
        assert "<script>alert" not in text and "<img src=x" not in text, path
        assert "&lt;script&gt;" in text
        assert all(src.startswith("/static/") for src in re.findall(r'<script[^>]*src="([^"]+)"', text))
        assert re.search(r"<script(?![^>]*src=)[^>]*>", text) is None  # no inline script at all
