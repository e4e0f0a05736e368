"""The portal on a phone (390 × 844) in Debian Chromium against the real `guichet serve`: nothing wider than the
screen on « Mes demandes » and on each request page, and the desk's header fits too."""

from __future__ import annotations

import pytest
from desk_browser import service, shot, sign_in  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PHONE = {"width": 390, "height": 844}
D = "@ferrand-associes.fr"

# Every rendered element under `scope` whose box goes past the viewport's right edge; elements inside a box that
# scrolls or clips horizontally (a code block) are that box's business, and the box itself is measured.
WIDER_THAN_SCREEN = """(scope) => {
  const root = document.querySelector(scope);
  const width = window.innerWidth;
  const scrolls = (el) => ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(el).overflowX);
  const inside = (el) => { for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    if (scrolls(p)) return true; } return false; };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const wide = [];
  for (const el of [root, ...root.querySelectorAll('*')]) {
    const box = el.getBoundingClientRect();
    if ((box.width === 0 && box.height === 0) || inside(el)) continue;
    if (box.right > width + 0.5) wide.push(`${name(el)} right=${Math.round(box.right)}`
      + ` « ${(el.innerText || el.value || '').trim().slice(0, 40)} »`);
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, wide};
}"""


@pytest.fixture
def phone(chromium, service):  # noqa: F811
    # not is_mobile: a mobile layout viewport grows to fit what overflows, and innerWidth would hide the overflow
    context = chromium.new_context(base_url=service, locale="fr-FR", viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def fits(page, scope: str = "body", whole_page: bool = True) -> None:
    measured = page.evaluate(WIDER_THAN_SCREEN, scope)
    assert measured["innerWidth"] == PHONE["width"]
    assert measured["wide"] == [], f"{page.url}: wider than the {PHONE['width']} px screen"
    if whole_page:
        assert measured["scrollWidth"] <= measured["innerWidth"], f"{page.url} scrolls sideways: {measured}"


def test_my_requests_and_each_request_page_fit_a_phone(phone):
    sign_in(phone, f"claire.rousseau{D}")
    phone.wait_for_url("**/mes-demandes")
    fits(phone)
    shot(phone, "portal-phone-my-requests")
    # the header's actions stay on screen, and the list reads as one card per request
    assert phone.get_by_role("button", name="Se déconnecter").is_visible()
    links = phone.locator("#my-requests td.title a")
    assert links.count() >= 2
    promise = phone.locator("#my-requests td[data-label='Engagement']").first
    assert promise.is_visible() and promise.bounding_box()["x"] + promise.bounding_box()["width"] <= PHONE["width"]
    for href in [links.nth(i).get_attribute("href") for i in range(links.count())]:
        phone.goto(href)
        fits(phone)
    shot(phone, "portal-phone-request")


def test_the_english_pages_fit_a_phone_too(phone):
    sign_in(phone, f"claire.rousseau{D}")
    phone.goto("/mes-demandes?lang=en")
    fits(phone)
    phone.goto(phone.locator("#my-requests td.title a").first.get_attribute("href"))
    fits(phone)


def test_the_desk_header_fits_a_phone(phone):
    sign_in(phone, f"julie.martin{D}")
    phone.wait_for_url("**/desk")
    fits(phone, "header.top", whole_page=False)  # the queue table itself scrolls: a technician's desk is wide
    assert phone.get_by_role("button", name="Se déconnecter").is_visible()
