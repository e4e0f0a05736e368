"""The desk queue pages through long queues instead of silently showing the first 100 tickets."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from tshelpers import ROLES

from ticket_service.domain import tickets
from ticket_service.runtime import get_ctx
from ticket_service.store.models import Person
from ticket_service.http.web.desk import PAGE_SIZE


def ids_on(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-id="(\d+)">', page)]


@pytest.fixture(scope="module")
def made(app):  # noqa: F811
    """More incidents than one page holds."""
    with app.app_context(), app.extensions["guichet_db"].write() as session:
        person = session.scalar(select(Person).where(Person.email == ROLES["employee_b"]))
        return {tickets.create_ticket(session, get_ctx(), person,
                                        {"title": f"Clavier {n}", "description": "Une touche ne répond plus."}).id
                for n in range(PAGE_SIZE + 20)}


def test_long_queue_is_paged_with_every_ticket_reachable(app, browser, made):  # noqa: F811
    client = browser("n1")
    first = client.get("/desk?queue=all&sort=-created_at")
    total = int(re.search(r"sur (\d+)", first.text.split('id="queue-count"')[1]).group(1))
    assert total >= len(made) and len(ids_on(first.text)) == PAGE_SIZE
    assert 'id="pager"' in first.text and "Page 1 sur" in first.text and 'rel="prev"' not in first.text
    seen = set(ids_on(first.text))
    for number in range(2, -(-total // PAGE_SIZE) + 1):
        page = client.get(f"/desk?queue=all&sort=-created_at&page={number}")
        assert page.status_code == 200 and f"Page {number} sur" in page.text
        assert not seen & set(ids_on(page.text))  # no ticket twice
        seen |= set(ids_on(page.text))
    assert made <= seen and len(seen) == total
    assert 'rel="next"' not in page.text
    beyond = client.get("/desk?queue=all&sort=-created_at&page=999")
    assert beyond.status_code == 200 and set(ids_on(beyond.text)) == set(ids_on(page.text))  # the last page
    for bad in ("0", "-1", "deux", "1e3"):
        assert client.get(f"/desk?queue=all&page={bad}").status_code == 400, bad


def test_queue_tabs_start_again_at_page_one_and_the_pager_keeps_the_filters(app, browser, made):  # noqa: F811
    page = browser("n1").get("/desk?queue=all&type=incident&sort=-created_at&page=2").text
    tabs = re.findall(r'<a[^>]*href="([^"]+)"[^>]*data-queue=|data-queue="[^"]+"[^>]*href="([^"]+)"', page)
    tabs = [a or b for a, b in tabs]
    assert tabs and all("page=" not in t for t in tabs)
    prev = re.search(r'<a href="([^"]+)" rel="prev"', page).group(1).replace("&amp;", "&")
    assert "page=1" in prev and "type=incident" in prev and "sort=-created_at" in prev
