"""« Demander de l'aide » in Chromium: the service catalogue, its items' fields, the proposed category, abstention."""

from __future__ import annotations

import re

import pytest

from browser_fixtures import browser, page, service, staff  # noqa: F401  (fixtures)
from browser_helpers import DEMO_PASSWORD, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]
HELP = "/demander-de-l-aide/"
CLAIRE = "claire.rousseau@ferrand-associes.fr"
EMPTY = "Aucune fiche ne correspond ; décrivez le problème et créez la demande."


def sign_in_inline(page) -> None:
    page.locator("#gh-signin input[type=email]").fill(CLAIRE)
    page.locator("#gh-signin input[type=password]").fill(DEMO_PASSWORD)
    page.locator("#gh-signin button", has_text="Se connecter").click()


def created_ticket(page) -> int:
    page.locator("#gh-done").wait_for()
    return int(re.search(r"Demande n° (\d+) créée", page.locator("#gh-done-title").text_content()).group(1))


def open_catalogue(page) -> None:
    page.goto(HELP)
    page.locator("#gh-type").select_option("service_request")
    page.locator("#gh-catalogue .gh-catalogue__item").first.wait_for()


def visible_items(page) -> list[str]:
    return page.locator("#gh-catalogue .gh-catalogue__item:visible .gh-catalogue__label").all_text_contents()


def paint_of(page, text: str):
    """Arm a wait for the suggestions painted for exactly this text (kept or new); return a handle to await."""
    page.evaluate("""(text) => { window.__paint = new Promise((resolve) => {
        const root = document.getElementById('gh-help');
        root.addEventListener('gh:suggestions-painted', function seen(e) {
          if (e.detail.text === text) { root.removeEventListener('gh:suggestions-painted', seen); resolve(e.detail); } });
      }); }""", text)
    return lambda: page.evaluate("window.__paint")


def test_the_catalogue_is_searched_as_you_type(page):
    page.goto(HELP)
    assert page.locator("#gh-catalogue-box").is_hidden()  # « Quelque chose ne marche pas »: no catalogue
    page.locator("#gh-type").select_option("service_request")
    page.locator("#gh-catalogue .gh-catalogue__item").first.wait_for()
    total = page.locator("#gh-catalogue .gh-catalogue__item").count() - 1  # « Autre demande » is always there
    assert total >= 10 and page.locator("#gh-catalogue-count").text_content() == f"{total} demandes au catalogue."
    page.locator("#gh-catalogue-search").press_sequentially("ecrans", delay=20)  # no accent, plural: still found
    assert visible_items(page) == ["Nouvel ordinateur, écran ou accessoire", "Emprunter du matériel (prêt)",
                                   "Autre demande"]
    assert page.locator("#gh-catalogue-count").text_content() == "2 demandes correspondent."
    page.locator("#gh-catalogue-search").fill("dossier partagé")
    assert visible_items(page)[:2] == ["Accès à un dossier partagé", "Dossier partagé Comptabilité"]
    page.locator("#gh-catalogue-search").fill("qwxz")
    assert visible_items(page) == ["Autre demande"]
    assert "Aucune demande ne correspond" in page.locator("#gh-catalogue-count").text_content()
    page.locator("#gh-catalogue-search").fill("logiciel absent")
    page.locator("#gh-catalogue-search").press("Enter")  # picks the first match, does not send the form
    assert page.locator("#gh-item-title").text_content() == "Installer un logiciel absent du Portail d'entreprise"
    labels = page.locator("#gh-item-fields label").all_text_contents()
    assert labels[0] == "Nom exact du logiciel et version (obligatoire)" and "Nombre de postes" in labels
    assert page.locator("#gh-if-payant option").all_text_contents()[1] == "Non, il est gratuit"
    assert page.locator("#gh-if-postes").get_attribute("type") == "number"
    assert page.locator("#gh-form").is_visible() and page.locator("#gh-done").is_hidden()


def test_item_fields_are_checked_in_the_browser_then_the_answers_reach_the_ticket(page, staff):
    open_catalogue(page)
    page.locator("#gh-catalogue-search").fill("logiciel")
    page.locator("label.gh-catalogue__item", has_text="Installer un logiciel").click()
    page.locator("#gh-title").fill("QGIS pour les plans de réseau")
    page.locator("#gh-if-postes").fill("0")
    page.locator("#gh-if-date_besoin").fill("2020-01-06")
    sent = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" and r.url.endswith("/api/v1/tickets") else None)
    page.get_by_role("button", name="Créer la demande").click()
    assert page.locator("#gh-if-logiciel-error").text_content() == "champ obligatoire"
    assert page.locator("#gh-if-postes-error").text_content() == "au moins 1"
    assert page.locator("#gh-if-date_besoin-error").text_content().startswith("pas avant le ")
    assert page.locator("#gh-if-payant-error").text_content() == "champ obligatoire"
    assert page.locator("#gh-if-lien-error").is_hidden()  # optional and empty: fine
    assert page.evaluate("document.activeElement.id") == "gh-if-logiciel"  # the first field at fault
    assert page.locator("#gh-if-postes").get_attribute("aria-invalid") == "true"
    assert "Complétez les champs signalés" in page.locator("#gh-error").text_content()
    shot(page, "help-catalogue-errors")
    page.locator("#gh-if-logiciel").fill("QGIS 3.34")
    page.locator("#gh-if-usage").fill("Cartes des réseaux du chantier de Vénissieux.")
    page.locator("#gh-if-payant").select_option("non")
    page.locator("#gh-if-postes").fill("3")
    page.locator("#gh-if-date_besoin").fill("")
    assert sent == []  # nothing left the browser while fields were at fault
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/api/v1/tickets")):
        page.get_by_role("button", name="Créer la demande").click()
        sign_in_inline(page)
    ticket = staff.call("GET", f"/api/v1/tickets/{created_ticket(page)}")
    assert (ticket["type"], ticket["catalogue_item"], ticket["category"]) == (
        "service_request", "installation-logiciel", "logiciels-metier")
    assert ticket["item_fields"] == {"logiciel": "QGIS 3.34", "usage": "Cartes des réseaux du chantier de Vénissieux.",
                                     "payant": "non", "postes": 3}


def test_a_link_from_an_article_chooses_an_access_item_that_awaits_approval(page, staff):
    page.goto("/comptes-acces/demander-acces-dossier-partage/")
    page.get_by_role("link", name="Accès à un dossier partagé", exact=True).click()
    page.locator("#gh-item-title", has_text="Accès à un dossier partagé").wait_for()
    assert re.search(r"/demander-de-l-aide/\?item=acces-dossier$", page.url)
    assert page.locator("#gh-type").input_value() == "service_request"
    assert page.locator("input[name=gh-item][value=acces-dossier]").is_checked()
    assert "validée par 1 valideur désigné" in page.locator("#gh-item-approval").text_content()
    page.locator("#gh-title").fill("Accès au dossier du groupe scolaire")
    page.locator("#gh-if-chemin").fill(r"P:\2026\26-041 Groupe scolaire Villeurbanne\03 Études")
    page.locator("#gh-if-niveau").select_option("lecture")
    page.locator("#gh-if-responsable").fill("Marc Dubois")
    page.get_by_role("button", name="Créer la demande").click()
    sign_in_inline(page)
    number = created_ticket(page)
    assert "attend d'abord la validation de 1 valideur désigné" in page.locator("#gh-done-sla").text_content()
    ticket = staff.call("GET", f"/api/v1/tickets/{number}")
    assert (ticket["type"], ticket["status"], ticket["catalogue_item"]) == ("access_request", "awaiting_approval",
                                                                           "acces-dossier")
    assert ticket["item_fields"]["niveau"] == "lecture"
    page.goto("/aide?item=acces-inconnu")  # the short address, with an item the catalogue lacks
    page.locator("#gh-item-unknown").wait_for()
    assert "« acces-inconnu » n'existe pas dans le catalogue" in page.locator("#gh-item-unknown").text_content()
    assert page.locator("#gh-item").is_hidden() and page.locator("#gh-catalogue-box").is_visible()


def test_the_incident_category_is_proposed_from_the_best_fiche_and_can_be_changed(page, staff):
    page.goto(HELP)
    assert page.locator("#gh-category-box").is_hidden()
    page.locator("#gh-title").press_sequentially("imprimante hors connexion", delay=20)
    page.locator("#gh-category-box").wait_for()
    best = page.locator(".gh-suggestion__cat").first.text_content()
    assert best == "Impression" and page.locator("#gh-category").input_value() == "impression"
    assert page.locator("label[for=gh-category]").text_content() == "Catégorie proposée :"
    shot(page, "help-category-proposed")
    page.locator("#gh-category").select_option("poste-de-travail")  # the person knows better
    paint = paint_of(page, "imprimante hors connexion au 2e étage")
    page.locator("#gh-title").press_sequentially(" au 2e étage", delay=20)
    paint()
    assert page.locator("#gh-category").input_value() == "poste-de-travail"
    page.get_by_role("button", name="Créer la demande").click()
    sign_in_inline(page)
    assert staff.call("GET", f"/api/v1/tickets/{created_ticket(page)}")["category"] == "poste-de-travail"
    page.goto(HELP)
    page.evaluate("sessionStorage.clear()")
    page.reload()
    page.locator("#gh-title").press_sequentially("imprimante hors connexion", delay=20)
    page.locator("#gh-category-box").wait_for()
    page.get_by_role("button", name="Créer la demande").click()
    assert staff.call("GET", f"/api/v1/tickets/{created_ticket(page)}")["category"] == "impression"  # as proposed


def test_abstention_is_said_on_the_page_and_to_screen_readers_and_leaves_the_category_to_triage(page, staff):
    page.goto(HELP)
    page.locator("#gh-title").press_sequentially("qwxz vbnk plmo", delay=20)
    page.locator("#gh-empty").wait_for()
    assert page.locator("#gh-empty").text_content() == EMPTY
    assert page.locator("#gh-live").text_content() == EMPTY
    assert page.locator("#gh-suggestions-box").is_hidden() and page.locator("#gh-category-box").is_hidden()
    shot(page, "help-abstention")
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/api/v1/tickets")) as created:
        page.get_by_role("button", name="Créer la demande").click()
        sign_in_inline(page)
    assert "category" not in created.value.post_data_json
    assert staff.call("GET", f"/api/v1/tickets/{created_ticket(page)}")["category"] is None
    page.goto(HELP)
    page.evaluate("sessionStorage.clear()")
    page.reload()
    page.locator("#gh-title").press_sequentially("qw", delay=20)  # too short to ask: nothing said, nothing shown
    page.wait_for_timeout(600)
    assert page.locator("#gh-empty").is_hidden() and page.locator("#gh-live").text_content() == ""


def test_a_slow_typist_keeps_the_list_while_the_last_word_goes_on(page):
    page.goto(HELP)
    answers = page.evaluate("""async () => { const out = {};
        for (const q of ['mon pc rame depuis ce ma', 'mon pc rame depuis ce mat', 'mon pc rame depuis ce mati',
                         'mon pc rame depuis ce matin']) {
          out[q] = (await (await fetch('/api/v1/suggest?q=' + encodeURIComponent(q))).json()).abstained; }
        return out; }""")
    # partial words: the index answers « ma », abstains on « mat » and « mati », answers « matin »
    assert answers == {"mon pc rame depuis ce ma": False, "mon pc rame depuis ce mat": True,
                       "mon pc rame depuis ce mati": True, "mon pc rame depuis ce matin": False}, answers
    title = page.locator("#gh-title")
    paint = paint_of(page, "mon pc rame depuis ce ma")
    title.press_sequentially("mon pc rame depuis ce ma", delay=20)
    assert paint()["count"] >= 1
    shown = page.locator(".gh-suggestion__title").all_text_contents()
    page.evaluate("""() => { window.__hidden = [];  // every change of the list's or the message's visibility from now on
        const box = document.getElementById('gh-suggestions-box'), empty = document.getElementById('gh-empty');
        new MutationObserver(() => window.__hidden.push([box.hidden, empty.hidden]))
          .observe(document.getElementById('gh-help'), { attributes: true, subtree: true, attributeFilter: ['hidden'] }); }""")
    for text in ("mon pc rame depuis ce mat", "mon pc rame depuis ce mati",
                 "mon pc rame depuis ce matin"):  # a slow typist: each keystroke gets its own answer
        paint = paint_of(page, text)
        title.press(text[-1])
        detail = paint()
        assert page.locator("#gh-suggestions-box").is_visible() and page.locator("#gh-empty").is_hidden(), text
        assert detail["kept"] == (text != "mon pc rame depuis ce matin")
    assert shown and page.locator(".gh-suggestion").count() >= 1
    changes = page.evaluate("window.__hidden")
    assert all(box is False and empty is True for box, empty in changes), f"the list vanished or the message flashed: {changes}"
    paint = paint_of(page, "qwxz vbnk plmo")
    title.fill("qwxz vbnk plmo")  # beyond the last word: the abstention is said at once
    paint()
    assert page.locator("#gh-suggestions-box").is_hidden() and page.locator("#gh-empty").is_visible()
