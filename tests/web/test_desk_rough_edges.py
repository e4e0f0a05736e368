"""The desk's rough edges: « Prendre » only when the ticket is not mine yet, an article picker of checkboxes that
filters without JavaScript (suggested articles first: tests/web/test_desk_suggestions.py, in a browser:
tests/browser_desk/test_following_and_picker.py)."""

from __future__ import annotations

import re

from web_fixtures import new_ticket

from search import load_articles
from tshelpers import ROOT

ARTICLES = load_articles(ROOT / "kb")


def _picker(page: str) -> str:
    return page.split('id="article-picker"')[1].split("</fieldset>")[0]


def test_take_shows_only_on_a_ticket_that_is_not_mine(app, browser):
    ticket = new_ticket(app, "employee_a", title="Casque Bluetooth muet")
    julie, karim = browser("n1"), browser("n1_bis")
    assert 'id="take"' in julie.get(f"/desk/tickets/{ticket}").text
    julie.submit(f"/desk/tickets/{ticket}/prendre")
    page = julie.get(f"/desk/tickets/{ticket}").text
    assert 'id="take"' not in page and ">Prendre<" not in page and 'id="start"' not in page
    assert 'id="take"' in karim.get(f"/desk/tickets/{ticket}").text  # Karim may still take it over


def test_a_new_ticket_assigned_to_me_offers_to_start_it(app, browser, ids):
    ticket = new_ticket(app, "employee_a", title="Webcam floue")
    julie = browser("n1")
    julie.submit(f"/desk/tickets/{ticket}/modifier", {"assignee_id": str(ids["people"]["n1"])})
    page = julie.get(f"/desk/tickets/{ticket}").text
    assert 'id="take"' not in page and 'id="start"' in page
    julie.submit(f"/desk/tickets/{ticket}/prendre")
    assert 'id="start"' not in julie.get(f"/desk/tickets/{ticket}").text


def test_the_article_picker_is_a_list_of_whole_titles_with_a_filter_that_works_without_javascript(app, browser):
    ticket = new_ticket(app, "employee_a", title="VPN refusé")
    julie = browser("n1")
    page = julie.get(f"/desk/tickets/{ticket}").text
    picker = _picker(page)
    assert '<select name="articles"' not in page
    boxes = re.findall(r'type="checkbox" name="articles" value="([^"]+)"', picker)
    assert sorted(boxes) == sorted(a.id for a in ARTICLES) and len(boxes) == len(set(boxes))
    longest = max(ARTICLES, key=lambda a: len(a.title))
    assert longest.title.replace("'", "&#39;").replace('"', "&#34;") in picker  # whole titles, never cut
    assert 'form="article-filter-form"' in picker and 'id="article-filter-form"' in page

    filtered = _picker(julie.get(f"/desk/tickets/{ticket}", query_string={"fiches": "forticlient credentials"}).text)
    kept = re.findall(r'name="articles" value="([^"]+)"', filtered)
    assert "vpn-forticlient-erreur-credentials" in kept and len(kept) < len(boxes)
    assert all("forticlient" in next(a for a in ARTICLES if a.id == k).title.lower() + k for k in kept)
    folded = _picker(julie.get(f"/desk/tickets/{ticket}", query_string={"fiches": "ECRAN recuperation"}).text)
    assert "bitlocker-ecran-recuperation" in folded  # accents and case ignored (« Écran de récupération »)
    nothing = julie.get(f"/desk/tickets/{ticket}", query_string={"fiches": "zzzz-aucune"}).text
    assert 'id="article-none">' in nothing and re.search(r'name="articles"', _picker(nothing)) is None
    assert julie.get(f"/desk/tickets/{ticket}", query_string={"fiches": "vpn\x00"}).status_code == 400


def test_checked_articles_resolve_the_ticket(app, browser):
    ticket = new_ticket(app, "employee_a", title="Imprimante hors connexion au 2e")
    julie = browser("n1")
    response = julie.submit(f"/desk/tickets/{ticket}/resoudre", {
        "note": "Spouleur redémarré, imprimante reconnectée.",
        "articles": ["imprimante-hors-connexion", "imprimante-hors-connexion"]})
    assert response.status_code == 303
    page = julie.get(f"/desk/tickets/{ticket}").text
    assert "Résolu" in page and "imprimante-hors-connexion" in page.split('id="suggested"')[1]
