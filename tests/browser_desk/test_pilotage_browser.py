"""/pilotage in Debian Chromium against the real `guichet serve` with the demo company: the lead changes the period
and a filter, follows a figure to its tickets at the desk, exports a panel as CSV; a technician reads it only."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from desk_browser import page, service, shot, sign_in, sign_out  # noqa: F401  (fixtures)
from test_phone_layout import PHONE, WIDER_THAN_SCREEN

pytestmark = [pytest.mark.browser, pytest.mark.slow]
D = "@ferrand-associes.fr"
# The demo's « Poste de travail » tickets of the last 30 days (ticket_service/demo/tickets.py: 2, 20 and 25 days ago).
# Three employees report the same copier on the same day: a cluster of recurring incidents.
COPIER = [("Le copieur du 3e étage affiche bourrage papier", "Le copieur Ricoh du 3e étage affiche bourrage papier."),
          ("Copieur du 3e étage : bourrage papier", "Bourrage papier sur le copieur Ricoh du 3e étage."),
          ("Bourrage papier au copieur du 3e étage", "Le copieur Ricoh du 3e étage est en bourrage papier.")]
WORKSTATION = {"Écran de récupération BitLocker au démarrage", "Code PIN Windows Hello oublié",
               "Disque plein, impossible d'enregistrer mes fichiers"}


def test_the_lead_changes_the_period_and_a_filter_follows_a_figure_and_exports_it(page):
    sign_in(page, f"nadia.chevalier{D}")
    page.goto("/pilotage")
    assert page.get_by_role("heading", name="Pilotage", level=1).is_visible()
    page.get_by_label("Période").select_option("30d")
    page.get_by_label("Catégorie").select_option("poste-de-travail")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_load_state()
    assert "period=30d" in page.url and "category=poste-de-travail" in page.url
    assert page.get_by_label("Période").input_value() == "30d"  # the choices stay on the page they made
    created = page.locator("#figure-volume-created")
    assert created.locator(".value").inner_text().split()[0] == "3"
    shot(page, "pilotage-lead")
    shot(page, "pilotage-lead-window", full_page=False)  # what the lead sees first

    created.get_by_role("link", name="Voir les 3 tickets").click()
    page.wait_for_url("**/desk?**ids=**")
    titles = {page.locator("#queue tbody tr td:nth-child(3) a").nth(i).inner_text()
              for i in range(page.locator("#queue tbody tr[data-id]").count())}
    assert titles == WORKSTATION
    page.go_back()

    with page.expect_download() as info:
        page.locator("#panel-volume").get_by_role("link", name="Exporter en CSV").click()
    download = info.value
    assert download.suggested_filename.startswith("pilotage-volume-")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=";") if r]
    assert rows[0][:5] == ["panneau", "section", "clé", "libellé", "valeur"]
    assert next(r for r in rows if r[2] == "volume.created")[4] == "3"
    by_category = [r for r in rows if r[1] == "by_category"]
    assert [(r[2], r[4]) for r in by_category] == [("poste-de-travail", "3")]  # the filter reached the export


def test_a_technician_reads_the_dashboard_of_their_groups_without_acting(page):
    sign_in(page, f"thomas.girard{D}")
    page.goto("/pilotage?period=30d")
    assert "lecture seule" in page.locator("main").inner_text()
    groups = page.get_by_label("Groupe").locator("option").all_inner_texts()
    assert groups == ["Tous", "Systèmes et réseau"]  # his own group only
    assert page.locator("main form[method=post]").count() == 0  # nothing to act on (the header signs out)
    sign_out(page)
    sign_in(page, f"emma.lefebvre{D}")
    response = page.goto("/pilotage")
    assert response.status == 403


REPORT = """async ([title, description]) => {
  const csrf = (await (await fetch('/api/v1/session')).json()).csrf_token;
  const response = await fetch('/api/v1/tickets', {method: 'POST', headers: {'Content-Type': 'application/json',
    'X-CSRFToken': csrf}, body: JSON.stringify({title, description, category: 'impression'})});
  return (await response.json()).id;
}"""


def report(page, email: str, title: str, description: str) -> int:
    """Open an incident as an employee through the API the help form calls (the browser's session and CSRF)."""
    sign_in(page, email)
    ticket = page.evaluate(REPORT, [title, description])
    sign_out(page)
    return ticket


@pytest.fixture
def phone(chromium, service):  # noqa: F811
    context = chromium.new_context(base_url=service, locale="fr-FR", viewport=PHONE)
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()


def fits(tab) -> None:
    measured = tab.evaluate(WIDER_THAN_SCREEN, "body")
    assert measured["wide"] == [], f"{tab.url}: wider than the {PHONE['width']} px screen"
    assert measured["scrollWidth"] <= measured["innerWidth"], f"{tab.url} scrolls sideways: {measured}"


def test_the_dashboard_fits_a_phone_in_french_and_in_english(phone):
    sign_in(phone, f"nadia.chevalier{D}")
    phone.goto("/pilotage?period=30d")
    fits(phone)
    assert phone.locator("svg.chart").first.bounding_box()["width"] <= PHONE["width"]
    shot(phone, "pilotage-phone")
    phone.goto("/pilotage?period=30d&lang=en")
    assert phone.get_by_role("heading", name="Dashboard", level=1).is_visible()
    fits(phone)
    phone.goto("/pilotage?lang=fr")


def test_the_printed_dashboard_has_no_navigation_and_shows_every_table(page):
    sign_in(page, f"nadia.chevalier{D}")
    page.goto("/pilotage?period=30d")
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()
    assert not page.locator("#pilotage-filters").is_visible()
    assert not page.get_by_role("link", name="Exporter en CSV").first.is_visible()
    tables = page.locator("table.list")
    assert tables.count() >= 5 and all(tables.nth(i).is_visible() for i in range(tables.count()))
    assert page.locator("svg.chart").first.is_visible()
    assert page.locator("#window").is_visible()  # the period a printout is about
    page.pdf(path=str(Path(__file__).resolve().parents[2] / "artifacts" / "screenshots" / "pilotage-print.pdf"))


def test_create_a_problem_from_a_cluster_links_the_incidents(page):
    people = (f"claire.rousseau{D}", f"hugo.moreau{D}", f"lucas.petit{D}")
    incidents = sorted(report(page, who, *text) for who, text in zip(people, COPIER))
    sign_in(page, f"nadia.chevalier{D}")
    page.goto("/pilotage")
    cluster = page.locator("#panel-recurring li.cluster", has_text="bourrage papier")
    assert cluster.count() == 1
    values = cluster.locator("input[name=ticket_ids]")
    assert sorted(int(values.nth(i).get_attribute("value")) for i in range(values.count())) == incidents
    assert "3 tickets" in cluster.inner_text()
    cluster.get_by_label("Titre du problème").fill("Copieur du 3e étage : bourrages répétés")
    shot(page, "pilotage-recurring")
    cluster.scroll_into_view_if_needed()
    shot(page, "pilotage-recurring-window", full_page=False)
    cluster.get_by_role("button", name="Créer un problème").click()
    page.wait_for_url("**/desk/tickets/*")
    assert "3 incidents y sont liés" in page.locator(".flash").inner_text()
    assert "Copieur du 3e étage : bourrages répétés" in page.locator("h1").inner_text()
    problem = int(page.url.rsplit("/", 1)[1])
    links = page.locator("#similar").inner_text()
    assert all(f"#{i}" in links for i in incidents)
    page.goto(f"/desk/tickets/{incidents[0]}")
    assert page.locator("#similar").get_by_role("link", name=f"#{problem}", exact=True).is_visible()  # its cause
    page.goto("/pilotage")  # linked now: the cluster is gone
    assert page.locator("#panel-recurring li.cluster", has_text="bourrage papier").count() == 0
