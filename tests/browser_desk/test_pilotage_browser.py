"""/pilotage in Debian Chromium against the real `guichet serve` with the demo company: the lead changes the period
and a filter, follows a figure to its tickets at the desk, exports a panel as CSV; a technician reads it only."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from desk_browser import page, service, shot, sign_in, sign_out  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
D = "@ferrand-associes.fr"
# The demo's « Poste de travail » tickets of the last 30 days (ticket_service/demo/tickets.py: 2, 20 and 25 days ago).
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
