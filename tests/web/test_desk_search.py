"""The desk finds tickets by words of their title or description, their requester, or their number."""

from __future__ import annotations

import re


def titles(page: str) -> list[str]:
    return re.findall(r'<tr data-id="\d+">.*?<a href="/desk/tickets/\d+">([^<]+)</a>', page, flags=re.S)


def ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-id="(\d+)">', page)]


def test_words_of_the_title_in_any_case(browser):  # noqa: F811
    page = browser("n1").get("/desk?queue=all&q=IMPRIMANTE+étage").text
    assert titles(page) == ["Imprimante du 2e étage hors connexion"]


def test_accents_are_ignored(browser):  # noqa: F811
    client = browser("n1")
    assert titles(client.get("/desk?queue=all&q=ecran+recuperation").text) == ["Écran de récupération BitLocker au démarrage"]
    assert titles(client.get("/desk?queue=all&q=ÉCRAN+RÉCUPÉRATION").text) == ["Écran de récupération BitLocker au démarrage"]


def test_every_word_must_match(browser):  # noqa: F811
    client = browser("n1")
    assert len(titles(client.get("/desk?queue=all&q=Grenoble").text)) >= 3
    assert titles(client.get("/desk?queue=all&q=Grenoble+inaccessible").text) == [
        "Serveur de fichiers de Grenoble inaccessible"]


def test_description_and_requester(browser):  # noqa: F811
    client = browser("n1")
    by_requester = titles(client.get("/desk?queue=all&q=rousseau").text)
    assert "Imprimante du 2e étage hors connexion" in by_requester
    assert all(t != "VPN coupé toutes les 10 minutes depuis la maison" for t in by_requester)
    assert titles(client.get("/desk?queue=all&q=claire.rousseau@").text) == by_requester


def test_ticket_number(browser):  # noqa: F811
    client = browser("n1")
    some = ids(client.get("/desk?queue=all").text)[3]
    assert some in ids(client.get(f"/desk?queue=all&q=%23{some}").text)


def test_wildcards_are_literal_and_nothing_found_says_so(browser):  # noqa: F811
    client = browser("n1")
    for text in ("%", "_", "100%_", "\\"):
        response = client.get("/desk", query_string={"queue": "all", "q": text})
        assert response.status_code == 200 and ids(response.text) == [], text
    assert "0 ticket<" in client.get("/desk?queue=all&q=zzzzzz").text


def test_search_is_kept_across_queues_and_escaped(browser):  # noqa: F811
    page = browser("n1").get("/desk", query_string={"q": '<script>alert(1)</script> vpn'}).text
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; vpn" in page
    other_queue = re.search(r'<a href="([^"]*)" class="[^"]*" data-queue="all"', page).group(1)
    assert "q=%3Cscript%3Ealert(1)%3C/script%3E+vpn" in other_queue  # switching queue keeps the search


def test_employees_cannot_search_the_desk(browser):  # noqa: F811
    assert browser("employee_a").get("/desk?q=vpn").status_code in (302, 303, 403)
