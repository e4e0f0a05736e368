"""The main journeys in Debian Chromium against the real `guichet serve`: portal, desk, approvals, article drafts."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.request

import pytest
from desk_browser import ROOT, page, service, shot, sign_in, sign_out  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
D = "@ferrand-associes.fr"


def resolved_count(base: str, article_id: str) -> int:
    with urllib.request.urlopen(f"{base}/api/v1/articles/{article_id}/stats", timeout=10) as response:
        return json.load(response)["resolved_count"]


def open_ticket(page, title: str) -> None:
    page.get_by_role("link", name=title).first.click()
    page.wait_for_load_state()


def test_employee_confirms_a_resolution_and_rates_it(page):
    page.goto("/connexion")
    assert page.locator("#demo-accounts").is_visible()  # demo mode lists the accounts
    shot(page, "sign-in")
    sign_in(page, f"emma.lefebvre{D}")
    page.wait_for_url("**/mes-demandes")
    assert page.locator("#my-requests").is_visible()
    shot(page, "portal-my-requests")
    open_ticket(page, "Écran de récupération BitLocker au démarrage")
    assert "Résolu" in page.locator("#status").inner_text()
    page.get_by_role("button", name="C'est résolu").click()
    page.wait_for_load_state()
    assert "Clos" in page.locator("#status").inner_text()
    page.locator("#rating input[name=rating][value='5']").check()
    page.get_by_label("Un commentaire ?").fill("Parfait, merci Julie !")
    page.get_by_role("button", name="Envoyer mon avis").click()
    page.wait_for_load_state()
    assert "Vous avez donné 5/5." in page.locator("#rating").inner_text()
    shot(page, "portal-request-rated")


def test_n1_escalates_and_n2_resolves_with_an_article(page, service):
    article = "nouveau-telephone-authenticator"
    before = resolved_count(service, article)
    sign_in(page, f"julie.martin{D}")
    page.wait_for_url("**/desk")
    shot(page, "desk-queue")
    open_ticket(page, "Double authentification : j'ai changé de téléphone")
    page.get_by_role("button", name="Prendre").click()
    page.wait_for_load_state()
    assert "Julie Martin" in page.locator("#assignee").inner_text()
    page.locator("#escalate summary").click()
    page.get_by_label("Motif (obligatoire)").fill("Réinitialisation MFA côté Entra ID : droits N2 nécessaires.")
    page.get_by_role("button", name="Escalader au niveau suivant").click()
    page.wait_for_load_state()
    assert page.locator("#level").inner_text().startswith("N2")
    url = page.url
    sign_out(page)

    sign_in(page, f"thomas.girard{D}")
    page.goto("/desk?queue=group")
    assert page.get_by_role("link", name="Double authentification : j'ai changé de téléphone").is_visible()
    page.goto(url)
    page.locator("#comment-form textarea[name=body]").fill("Note pour l'équipe : méthodes MFA purgées.")
    page.locator("#comment-form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".comment.internal").first.is_visible()
    page.get_by_label("Note de résolution (visible du demandeur)").fill(
        "Méthodes MFA réinitialisées : réenregistrez Authenticator sur le nouveau téléphone.")
    page.locator("#article-filter").fill("authenticator")
    page.locator(f"#article-picker input[value='{article}']").check()
    page.locator("#resolve-button").click()
    page.wait_for_load_state()
    assert "Résolu" in page.locator("#status").inner_text()
    shot(page, "desk-ticket-resolved")
    assert resolved_count(service, article) == before + 1


def test_approver_approves_an_access_request(page):
    sign_in(page, f"sophie.ferrand{D}")
    page.get_by_role("link", name="À valider").first.click()
    page.wait_for_load_state()
    open_ticket(page, "Accès au dossier partagé Comptabilité")
    shot(page, "portal-approval")
    page.get_by_label("Commentaire").fill("Accord pour la clôture trimestrielle.")
    page.get_by_role("button", name="Valider", exact=True).click()
    page.wait_for_load_state()
    assert "Demande validée." in page.locator(".flash-success").inner_text()
    assert page.get_by_role("link", name="Accès au dossier partagé Comptabilité").count() == 0


def test_technician_drafts_an_article_that_passes_the_kb_check(page, tmp_path):
    sign_in(page, f"julie.martin{D}")
    page.goto("/desk/fiches")
    row = page.locator("#gaps tr", has_text="Pas de son dans Teams avec le casque")
    row.get_by_role("link", name="Rédiger une fiche").click()
    page.wait_for_load_state()
    assert "passe la vérification" in page.locator("#draft-check").inner_text()
    assert "git switch -c fiche/" in page.locator("#draft-commands").inner_text()
    shot(page, "desk-article-draft")
    with page.expect_download() as info:
        page.locator("#download-draft").click()
    download = info.value
    text = download.path().read_text(encoding="utf-8")
    assert "Emma" not in text and "Lefebvre" not in text and "category: telephonie-visio" in text
    kb = tmp_path / "kb" / "telephonie-visio"
    kb.mkdir(parents=True)
    (kb / download.suggested_filename).write_text(text, encoding="utf-8")
    shutil.copy(ROOT / "helpdesk.yml", tmp_path / "helpdesk.yml")
    result = subprocess.run([sys.executable, "-m", "search", "check", str(tmp_path / "kb")], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
