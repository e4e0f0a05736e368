"""« Demander de l'aide » in Debian's Chromium against `guichet serve` on a really built site."""

from __future__ import annotations

import re

import pytest

from browser_fixtures import browser, page, service, staff  # noqa: F401  (fixtures)
from browser_helpers import DEMO_PASSWORD, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]
HELP = "/demander-de-l-aide/"
CLAIRE, LUCAS = "claire.rousseau@ferrand-associes.fr", "lucas.petit@ferrand-associes.fr"


def sign_in_inline(page, container: str, email: str) -> None:
    page.locator(f"{container} input[type=email]").fill(email)
    page.locator(f"{container} input[type=password]").fill(DEMO_PASSWORD)
    page.locator(f"{container} button", has_text="Se connecter").click()


def type_problem(page, text: str) -> None:
    page.locator("#gh-title").press_sequentially(text, delay=20)


def test_typing_shows_relevant_suggestions_with_highlights_and_nothing_on_abstention(page):
    page.goto(HELP)
    type_problem(page, "im")
    page.wait_for_timeout(600)
    assert page.locator(".gh-suggestion").count() == 0  # under 3 characters: nothing
    type_problem(page, "primante hors connexion")
    first = page.locator(".gh-suggestion").first
    first.wait_for()
    titles = page.locator(".gh-suggestion__title").all_text_contents()
    assert 1 <= len(titles) <= 5 and "imprimante" in titles[0].lower()
    assert page.locator(".gh-suggestion mark").count() >= 1
    assert page.locator(".gh-suggestion__cat").first.text_content() == "Impression"  # the label, not the id
    assert re.match(r"\d fiches? proposées?\.", page.locator("#gh-live").text_content())
    shot(page, "help-suggestions")
    page.locator("#gh-title").fill("")
    type_problem(page, "qwxz vbnk plmo")  # nothing good enough: the index abstains
    page.locator("#gh-suggestions-box").wait_for(state="hidden")
    assert page.locator(".gh-suggestion").count() == 0


def test_solved_with_the_keyboard_records_a_confirmed_deflection(page, staff):
    before = staff.figures()
    page.goto(HELP)
    type_problem(page, "mot de passe oublié")
    page.locator(".gh-suggestion").first.wait_for()
    page.locator("#gh-title").focus()
    page.keyboard.press("Tab")  # the first suggestion's title link…
    assert "gh-suggestion__title" in page.evaluate("document.activeElement.className")
    page.keyboard.press("Tab")  # …then its « Ça a résolu mon problème »
    assert page.evaluate("document.activeElement.textContent") == "Ça a résolu mon problème"
    with page.expect_response(lambda r: r.url.endswith("/api/v1/events") and r.request.post_data
                              and '"solved"' in r.request.post_data) as answer:
        page.keyboard.press("Enter")
    assert answer.value.status == 202
    assert "aucune demande n'est créée" in page.locator("#gh-solved-message").text_content()
    after = staff.figures()
    assert after["confirmed"] == before["confirmed"] + 1 and after["none"] == before["none"]


def test_creating_the_ticket_anyway_is_no_deflection_then_finally_solved_closes_it(page, staff):
    before = staff.figures()
    page.goto(HELP)
    type_problem(page, "outlook ne démarre plus")
    page.locator(".gh-suggestion").first.wait_for()
    page.locator("#gh-details").fill("Outlook se ferme dès l'ouverture depuis ce matin.")
    page.get_by_label("Je suis bloqué, je ne peux plus travailler").check()
    page.locator("#gh-file").set_input_files(files=[{"name": "erreur.txt", "mimeType": "text/plain",
                                                     "buffer": "Outlook : erreur 0x800CCC0E".encode()}])
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/api/v1/tickets")) as created:
        page.get_by_role("button", name="Créer la demande").click()
        sign_in_inline(page, "#gh-signin", CLAIRE)  # not signed in yet: inline sign-in, the draft is kept
    headers = created.value.all_headers()
    assert headers.get("x-csrftoken") and len(headers.get("idempotency-key", "")) >= 8  # a resent form never duplicates
    page.locator("#gh-done").wait_for()
    heading = page.locator("#gh-done-title").text_content()
    number = int(re.search(r"Demande n° (\d+) créée", heading).group(1))
    assert "au plus tard" in page.locator("#gh-done-sla").text_content()
    assert page.locator("#gh-done-link").get_attribute("href") == f"/mes-demandes/{number}"
    ticket = staff.call("GET", f"/api/v1/tickets/{number}")
    assert ticket["urgency"] == "high" and ticket["help_session_id"] and ticket["requester"]["email"] == CLAIRE
    assert [a["filename"] for a in staff.call("GET", f"/api/v1/tickets/{number}/attachments")["items"]] == ["erreur.txt"]
    shot(page, "help-ticket-created")
    after = staff.figures()
    assert after["none"] == before["none"] + 1 and after["confirmed"] == before["confirmed"]
    page.locator("#gh-after-list .gh-solved").first.click()  # « Finalement c'est résolu »
    page.locator("#gh-after-message", has_text="close").wait_for()
    assert staff.call("GET", f"/api/v1/tickets/{number}")["status"] == "closed"


def test_banner_and_similar_incident_attach_the_person(page, service):
    page.goto("/")
    banner = page.locator("#gh-banner")
    banner.locator(".gh-banner__item").first.wait_for()
    assert "lecteur S: inaccessible" in banner.text_content()
    shot(page, "banner")
    banner.get_by_role("button", name="Je suis concerné").first.click()
    sign_in_inline(page, ".gh-banner__signin", LUCAS)
    banner.locator(".gh-banner__status", has_text="C'est noté").wait_for()
    incident = page.evaluate("fetch('/api/v1/incidents/major').then(r => r.json()).then(b => b.items.find(i => i.major).id)")
    assert rejoin_status(page, incident) == 200  # already attached
    page.goto(HELP)
    type_problem(page, "lecteur S: inaccessible à Grenoble")
    box = page.locator("#gh-incident")
    join = box.get_by_role("button", name="Moi aussi, je suis concerné : Agence de Grenoble")
    join.wait_for()
    asked = re.findall(r"cliquez sur « ([^»]+) »", box.inner_text())
    assert asked and {a.strip().casefold() for a in asked} == {join.text_content().casefold()}  # as the banner
    join.click()
    box.locator("[role=status]", has_text="C'est noté").wait_for()
    page.goto("/mes-demandes")  # « vous serez prévenu de sa résolution »: the incident is followed there
    followed = page.locator(f"#followed-incidents #incident-{incident}")
    assert "lecteur S: inaccessible" in followed.inner_text() and "nos équipes y travaillent" in followed.inner_text()


def rejoin_status(page, incident: int) -> int:
    return page.evaluate("""async (id) => {
        const s = await (await fetch('/api/v1/session')).json();
        const r = await fetch('/api/v1/incidents/' + id + '/join', {method: 'POST', headers: {'X-CSRFToken': s.csrf_token}});
        return r.status; }""", incident)


def test_article_page_feedback_stats_and_prefilled_form(page):
    page.goto("/impression/imprimante-hors-connexion/")
    page.locator(".gh-resolved").wait_for()
    assert re.search(r"a résolu \d+ demandes?", page.locator(".gh-resolved").text_content())
    feedback = page.locator("form.md-feedback")
    feedback.wait_for()
    feedback.get_by_title("Non, pas vraiment").click()
    page.locator("#gh-feedback-reason").fill("La procédure ne parle pas du Canon du 3e")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/events") and '"page_feedback"' in (r.request.post_data or "")) as answer:
        page.get_by_role("button", name="Envoyer").click()
    assert answer.value.status == 202 and "Canon du 3e" in answer.value.request.post_data
    page.get_by_role("link", name="Toujours bloqué ? Créer une demande").click()
    page.locator("#gh-context").wait_for()
    assert "imprimante est hors connexion" in page.locator("#gh-context").text_content()
    assert page.locator("#gh-details").input_value().startswith("J'ai suivi la fiche")
    type_problem(page, "imprimante toujours hors connexion")  # « toujours hors connexion » alone names no device: abstained
    page.locator(".gh-suggestion").first.wait_for()


def test_draft_is_kept_while_reading_an_article(page):
    page.goto("/")
    page.evaluate("window.__sameDocument = true")
    page.locator("a[href$='demander-de-l-aide/']").first.click()
    page.locator("#gh-title").wait_for(state="visible")
    assert page.evaluate("window.__sameDocument === true")
    type_problem(page, "boîte aux lettres pleine")
    page.locator("#gh-details").fill("Je ne peux plus envoyer de mails.")
    with page.expect_response(lambda r: '"article_opened"' in (r.request.post_data or "")):
        page.locator(".gh-suggestion__title").first.click()
    page.locator("[data-gh-article]").wait_for()
    page.go_back()
    page.locator("#gh-title").wait_for(state="visible")
    assert page.locator("#gh-title").input_value() == "boîte aux lettres pleine"
    assert page.locator("#gh-details").input_value() == "Je ne peux plus envoyer de mails."
    page.locator(".gh-suggestion").first.wait_for()  # suggestions come back for the kept draft


def test_phone_sized_layout(browser, service):
    context = browser.new_context(base_url=service, viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(HELP)
    type_problem(page, "imprimante hors connexion")
    page.locator(".gh-suggestion").first.wait_for(timeout=15_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.locator("#gh-submit").is_visible()
    shot(page, "help-phone")
    context.close()


def test_without_javascript_the_request_still_submits(browser, service):
    context = browser.new_context(base_url=service, java_script_enabled=False)
    page = context.new_page()
    page.goto(HELP)
    page.get_by_role("link", name="formulaire simple de demande").click()
    page.locator("#email").fill(LUCAS)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("#title").fill("Souris sans fil qui ne répond plus")
    page.locator("#description").fill("Piles changées, toujours rien.")
    page.get_by_role("button", name="Créer la demande").click()
    assert re.search(r"Demande n° \d+ créée", page.locator("h1").text_content())
    shot(page, "help-nojs")
    context.close()
