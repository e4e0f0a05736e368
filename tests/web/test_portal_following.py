"""Journeys that used to leave an employee stuck: a merged duplicate follows its main ticket, followed incidents show
in « Mes demandes », the request page says who handles it, repeats its promises, owns up to a missed target and links
the articles of its solution at the revision they were given with."""

from __future__ import annotations

from datetime import timedelta

import pytest
from babel.dates import format_skeleton
from sqlalchemy import select

from search import load_articles
from site_plugins.manifest import build_manifest, write_json_atomically
from tshelpers import ROOT, Api, migrated_app
from web_fixtures import DATABASES, Browser, new_ticket

from ticket_service.domain.clock import FixedClock
from ticket_service.store.models import Ticket

ARTICLES = load_articles(ROOT / "kb")
URLS = {a.path: f"{a.category}/{a.id}/" for a in ARTICLES}
PRINTER = "imprimante-hors-connexion"  # employees' article
INTERNAL = "bitlocker-recuperer-cle-intune"  # technicians' article
PRIVATE_TEXT = "CANARY-MAIN-DESCRIPTION-06-12-34-56-78"
PRIVATE_REPLY = "CANARY-MAIN-REQUESTER-REPLY"
NOTE = "CANARY-INTERNAL-NOTE-5d1e"


def write_manifest(path, revision):
    write_json_atomically(build_manifest(ARTICLES, URLS, revision), path)


@pytest.fixture(scope="module", params=DATABASES)
def app(request, tmp_path_factory):
    """The demo company, with a site build's manifest (article URLs, revision « rev-a ») and no KB_REVISION set."""
    tmp = tmp_path_factory.mktemp("following")
    manifest = tmp / "manifest.json"
    write_manifest(manifest, "rev-a")
    with migrated_app(request.param, tmp, KB_REVISION=None, MANIFEST_PATH=str(manifest)) as application:
        application.config["TEST_MANIFEST"] = manifest
        yield application


@pytest.fixture(scope="module")
def browser(app):
    cache = {}

    def make(role):
        if role not in cache:
            cache[role] = Browser(app, role)
        return cache[role]

    return make


def _ticket(app, ticket_id) -> Ticket:
    with app.extensions["guichet_db"].reader() as session:
        return session.get(Ticket, ticket_id)


def _merged_pair(app, browser):
    """Claire's request merged into Lucas's, which Julie took and answered (publicly and in an internal note)."""
    dup = new_ticket(app, "employee_a", title="Teams se ferme au démarrage", description="Teams se ferme tout seul.")
    main = new_ticket(app, "employee_b", title="Teams plante dès l'ouverture", description=f"Teams plante. {PRIVATE_TEXT}")
    tech, lucas = browser("n1"), browser("employee_b")
    assert tech.submit(f"/desk/tickets/{main}/prendre").status_code == 303
    tech.submit(f"/desk/tickets/{main}/commentaire", {"body": "Plusieurs postes touchés : correctif en préparation."})
    tech.submit(f"/desk/tickets/{main}/commentaire", {"body": NOTE, "internal": "1"})
    lucas.submit(f"/mes-demandes/{main}/repondre", {"body": PRIVATE_REPLY})
    assert tech.submit(f"/desk/tickets/{dup}/lier", {"kind": "duplicate_of", "target_id": str(main)}).status_code == 303
    assert _ticket(app, dup).status == "closed"
    return dup, main


def test_a_merged_duplicate_shows_the_main_tickets_public_progress(app, browser):
    dup, main = _merged_pair(app, browser)
    claire = browser("employee_a")
    listing = claire.get("/mes-demandes").text
    row = listing[listing.index(f"/mes-demandes/{dup}"):].split("</tr>")[0]
    assert "En cours" in row and f"suivie avec la demande n° {main}" in row
    assert "résolution visée avant le" in row and "résolue le —" not in row and "Clos" not in row

    page = claire.get(f"/mes-demandes/{dup}").text
    assert 'id="merged"' in page and f"la demande n° {main}" in page
    assert "Pris en charge par Julie Martin, niveau N1" in page
    assert "Plusieurs postes touchés : correctif en préparation." in page  # the support's public reply
    for secret in (PRIVATE_TEXT, PRIVATE_REPLY, NOTE, "Lucas Petit", "lucas.petit", "Teams plante dès l'ouverture"):
        assert secret not in page, secret
    assert 'id="rating"' not in page and "résolue le —" not in page


def test_nobody_rates_a_merged_duplicate(app, browser):
    dup, _main = _merged_pair(app, browser)
    claire = browser("employee_a")
    page = claire.submit(f"/mes-demandes/{dup}/evaluer", {"rating": "5"}, follow_redirects=True)
    assert "regroupée avec une autre" in page.text and _ticket(app, dup).satisfaction_rating is None
    response = Api(app, "employee_a").post(f"/api/v1/tickets/{dup}/satisfaction", json={"rating": 4})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "merged"


def test_the_main_tickets_resolution_reaches_the_duplicates_requester(app, browser):
    dup, main = _merged_pair(app, browser)
    tech = browser("n1")
    tech.submit(f"/desk/tickets/{main}/resoudre", {"note": "Version précédente de Teams réinstallée sur les postes.",
                                                   "articles": [PRINTER, INTERNAL]})
    assert _ticket(app, main).status == "resolved"
    claire = browser("employee_a")
    page = claire.get(f"/mes-demandes/{dup}").text
    assert "Version précédente de Teams réinstallée" in page and f"La demande n° {main} a été résolue le" in page
    assert f'href="/impression/{PRINTER}/"' in page  # the article of the solution, from the build's manifest
    assert INTERNAL not in page  # a technicians' article is never shown to an employee
    assert 'id="rating"' not in page and "C'est résolu" not in page  # the main requester confirms, not Claire
    assert "Résolu" in claire.get("/mes-demandes").text.split(f"/mes-demandes/{dup}")[1].split("</tr>")[0]


def test_followed_incidents_appear_in_my_requests_with_their_resolution(app, browser):
    incident = new_ticket(app, "n2", title="NAS de Grenoble en panne", description="Contrôleur RAID HS, détail interne.")
    tech = browser("n2")
    tech.submit(f"/desk/tickets/{incident}/incident-majeur", {"public_title": "Grenoble : lecteur S: indisponible",
                                                              "public_text": "Le serveur de fichiers ne répond plus."})
    lucas = Api(app, "employee_b")
    assert lucas.post(f"/api/v1/incidents/{incident}/join").status_code == 201
    page = browser("employee_b").get("/mes-demandes").text
    section = page[page.index('id="followed-incidents"'):]
    assert "Incidents que vous suivez" in section and "Grenoble : lecteur S: indisponible" in section
    assert "Le serveur de fichiers ne répond plus." in section and "Nouveau" in section
    assert "détail interne" not in page and "NAS de Grenoble en panne" not in page
    assert 'id="followed-incidents"' not in browser("employee_a").get("/mes-demandes").text  # Claire follows nothing

    tech.submit(f"/desk/tickets/{incident}/resoudre", {"note": "Carte RAID remplacée, le lecteur S: est revenu.",
                                                       "articles": [PRINTER]})
    section = browser("employee_b").get("/mes-demandes").text.split('id="followed-incidents"')[1]
    assert "Résolu le" in section and "Carte RAID remplacée" in section and f"/impression/{PRINTER}/" in section


def test_the_request_page_repeats_the_promises_and_names_who_handles_it(app, browser):
    ticket = new_ticket(app, "employee_a", title="Clavier qui répète les touches")
    claire = browser("employee_a")
    page = claire.get(f"/mes-demandes/{ticket}").text
    assert "En attente d'un technicien (niveau N1)" in page and "un technicien vous répond avant le" in page
    browser("n1").submit(f"/desk/tickets/{ticket}/prendre")
    page = claire.get(f"/mes-demandes/{ticket}").text
    assert "Pris en charge par Julie Martin, niveau N1" in page and "faite le" in page
    browser("n1").submit(f"/desk/tickets/{ticket}/escalader", {"reason": "Clavier à remplacer : stock N2."})
    assert "En attente d'un technicien (niveau N2)" in claire.get(f"/mes-demandes/{ticket}").text


def test_a_missed_target_is_acknowledged_not_promised_again(app, browser):
    ticket = new_ticket(app, "employee_a", title="Souris qui se bloque")
    due = _ticket(app, ticket).resolution_due
    ctx = app.extensions["guichet_context"]
    clock, ctx.clock = ctx.clock, FixedClock(due + timedelta(days=2))
    try:
        claire = browser("employee_a")
        day = format_skeleton("dM", due.astimezone(ctx.policies.organisation.zone), locale="fr")
        expected = f"L'échéance du {day} est dépassée : nous vous tenons informé"
        page = claire.get(f"/mes-demandes/{ticket}").text
        assert expected in page and "résolution visée avant le" not in page.split('id="promise"')[1].split("</dd>")[0]
        assert "un technicien vous répond au plus vite" in page  # the first response was missed too
        row = claire.get("/mes-demandes").text.split(f"/mes-demandes/{ticket}")[1].split("</tr>")[0]
        assert expected in row and "résolution visée" not in row
    finally:
        ctx.clock = clock
    assert "résolution visée avant le" in browser("employee_a").get(f"/mes-demandes/{ticket}").text


def test_the_solution_links_its_articles_at_the_revision_it_was_given_with(app, browser):
    ticket = new_ticket(app, "employee_a", title="Imprimante hors connexion")
    browser("n1").submit(f"/desk/tickets/{ticket}/resoudre", {
        "note": "Suivez l'étape 2 de la fiche : redémarrez le spouleur.", "articles": [PRINTER, INTERNAL]})
    claire = browser("employee_a")
    page = claire.get(f"/mes-demandes/{ticket}").text
    section = page[page.index('id="resolution"'):]
    title = next(a.title for a in ARTICLES if a.id == PRINTER)
    assert f'<a href="/impression/{PRINTER}/">' in section and title.replace("'", "&#39;") in section
    assert INTERNAL not in page and "révision" not in section  # linked with the running build's revision
    write_manifest(app.config["TEST_MANIFEST"], "rev-b")  # the site was rebuilt since
    section = claire.get(f"/mes-demandes/{ticket}").text.split('id="resolution"')[1]
    assert "solution donnée avec la révision rev-a de la base" in section
    with app.extensions["guichet_db"].reader() as session:
        assert session.scalar(select(Ticket.status).where(Ticket.id == ticket)) == "resolved"
