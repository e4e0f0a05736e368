"""In Chromium against the real `guichet serve`: the requester of a merged duplicate follows the main ticket, and the
desk's article picker filters as the technician types (strict CSP: its script is a static file)."""

from __future__ import annotations

import pytest
from desk_browser import DEMO_PASSWORD, page, service, shot, sign_in, sign_out  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
D = "@ferrand-associes.fr"


def open_request(page, service, email: str, title: str, description: str) -> int:
    """Open a ticket as ``email`` through the API, in a browser context of its own (its cookie is Secure, __Host-)."""
    context = page.context.browser.new_context(base_url=service)
    try:
        token = context.request.get("/api/v1/session").json()["csrf_token"]
        signed = context.request.post("/api/v1/session", data={"email": email, "password": DEMO_PASSWORD},
                                      headers={"X-CSRFToken": token})
        assert signed.ok, signed.text()
        created = context.request.post("/api/v1/tickets", data={"title": title, "description": description},
                                       headers={"X-CSRFToken": signed.json()["csrf_token"]})
        assert created.status == 201, created.text()
        return created.json()["id"]
    finally:
        context.close()


def test_the_requester_of_a_merged_duplicate_follows_the_main_ticket(page, service):
    dup = open_request(page, service, f"hugo.moreau{D}", "Teams se ferme au démarrage",
                       "Teams se ferme tout seul après l'ouverture.")
    main = open_request(page, service, f"emma.lefebvre{D}", "Teams plante dès l'ouverture",
                        "Teams plante. Joignable au 06 12 34 56 78.")

    sign_in(page, f"julie.martin{D}")
    page.goto(f"/desk/tickets/{main}")
    page.get_by_role("button", name="Prendre").click()
    page.wait_for_load_state()
    assert page.locator("#take").count() == 0  # the ticket is mine now
    page.locator("#comment-form textarea[name=body]").fill("Mise à jour de Teams en cause : correctif en préparation.")
    page.locator("#comment-form input[name=internal]").uncheck()
    page.locator("#comment-form button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(f"/desk/tickets/{dup}")
    page.locator("#link summary").click()
    page.get_by_label("Doublon du ticket n°").fill(str(main))
    page.get_by_role("button", name="Marquer doublon (fusionner et clore)").click()
    page.wait_for_load_state()
    assert "Clos" in page.locator("#status").inner_text()
    sign_out(page)

    sign_in(page, f"hugo.moreau{D}")
    page.wait_for_url("**/mes-demandes")
    row = page.locator("#my-requests tr", has_text="Teams se ferme au démarrage")
    assert "En cours" in row.inner_text() and f"suivie avec la demande n° {main}" in row.inner_text()
    assert "résolue le —" not in row.inner_text()
    shot(page, "portal-duplicate-list")
    row.get_by_role("link", name="Teams se ferme au démarrage").click()
    page.wait_for_load_state()
    assert page.locator("#merged").is_visible()
    assert page.locator("#handler").inner_text() == "Pris en charge par Julie Martin, niveau N1"
    assert "correctif en préparation" in page.locator("#conversation").inner_text()
    text = page.locator("main").inner_text()
    assert "06 12 34 56 78" not in text and "Emma" not in text and page.locator("#rating").count() == 0
    shot(page, "portal-duplicate-request")


def test_the_article_picker_filters_as_you_type_and_keeps_what_is_checked(page):
    sign_in(page, f"julie.martin{D}")
    page.goto("/desk")
    page.get_by_role("link", name="Double authentification : j'ai changé de téléphone").first.click()
    page.wait_for_load_state()
    picker = page.locator("#article-picker")
    assert page.locator("#article-filter-button").is_hidden()  # the script filters: no button needed
    total = picker.locator(".picker-item").count()
    assert total > 40 and picker.locator(".picker-item:visible").count() == total
    page.locator("#article-filter").fill("authenticator")
    visible = picker.locator(".picker-item:visible")
    assert 0 < visible.count() < total and page.locator("#article-count span").inner_text() == str(visible.count())
    assert all("authenticator" in visible.nth(i).get_attribute("data-search") for i in range(visible.count()))
    picker.locator("input[value='nouveau-telephone-authenticator']").check()
    page.locator("#article-filter").fill("ECRAN recuperation")  # case and accents ignored
    assert picker.locator("input[value='bitlocker-ecran-recuperation']").is_visible()
    assert picker.locator("input[value='nouveau-telephone-authenticator']").is_visible()  # checked: stays in sight
    page.locator("#article-filter").fill("zzzz")
    assert page.locator("#article-count span").inner_text() == "1"
    page.locator("#article-filter").press("Enter")  # Enter filters, never reloads the page
    assert page.locator("#article-filter").input_value() == "zzzz"
    page.locator("#article-filter").fill("")
    shot(page, "desk-article-picker")
    page.get_by_label("Note de résolution (visible du demandeur)").fill(
        "Méthodes MFA réinitialisées : réenregistrez Authenticator sur le nouveau téléphone.")
    page.locator("#resolve-button").click()
    page.wait_for_load_state()
    assert "Résolu" in page.locator("#status").inner_text()
    assert "nouveau-telephone-authenticator" in page.locator("#suggested").inner_text()
