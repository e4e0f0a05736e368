"""Numbers, hours, percentages, sizes and plurals on the pages, as a French company writes them (Babel, the page's
language: French by default, English with ?lang=en), and the catalogues that carry the plural forms."""

from __future__ import annotations

import re
import subprocess
import sys

from babel.messages.pofile import read_po
from flask_babel import ngettext

from ticket_service.http.i18n import SOURCE
from tshelpers import ROOT

NBSP, NNBSP = "\u00a0", "\u202f"


def filters(app) -> dict:
    return {name: app.jinja_env.filters[name] for name in ("number", "percent", "hours", "size")}


def test_filters_write_numbers_in_the_pages_language(app):
    with app.test_request_context("/desk?lang=fr"):
        f = filters(app)
        assert f["hours"](8.0) == f"8{NBSP}h" and f["hours"](45.04) == f"45{NBSP}h" and f["hours"](45.5) == f"45,5{NBSP}h"
        assert f["number"](1234.5) == f"1{NNBSP}234,5" and f["number"](120000) == f"120{NNBSP}000"
        assert f["percent"](0.87) == f"87{NBSP}%"  # Babel's fr_FR pattern: a no-break space before « % »
        assert f["size"](512) == f"512{NBSP}o" and f["size"](12_595) == f"12,3{NBSP}Ko"
        assert f["size"](5 * 1024 * 1024) == f"5{NBSP}Mo"
    with app.test_request_context("/desk?lang=en"):
        f = filters(app)
        assert f["hours"](45.5) == f"45.5{NBSP}h" and f["number"](1234.5) == "1,234.5" and f["percent"](0.87) == "87%"
        assert f["size"](12_595) == f"12.3{NBSP}KB"


def test_french_plurals_take_the_singular_for_zero_and_one(app):
    with app.test_request_context("/desk?lang=fr"):
        assert [ngettext("%(num)s ticket", "%(num)s tickets", n) for n in (0, 1, 2)] == ["0 ticket", "1 ticket", "2 tickets"]
    with app.test_request_context("/desk?lang=en"):
        assert [ngettext("%(num)s ticket", "%(num)s tickets", n) for n in (0, 1, 2)] == ["0 tickets", "1 ticket", "2 tickets"]


def test_the_ticket_page_writes_hours_the_french_way(browser, ids):
    client = browser("n2")
    french = client.get(f"/desk/tickets/{ids['tickets'][1]}?lang=fr").text
    sla = french[french.index('id="sla"'):french.index("</section>", french.index('id="sla"'))]
    assert not re.search(r"\d\.\d", sla), sla  # never « (8.0 h) » nor « 45.0 h »
    assert re.search(rf"\(\d+(,\d)?{NBSP}h\)", sla), sla  # « (8 h) »
    assert re.search(rf"temps ouvré écoulé : \d+(,\d)?{NBSP}h\)", sla), sla
    english = client.get(f"/desk/tickets/{ids['tickets'][1]}?lang=en").text
    assert re.search(rf"business time elapsed: \d+(\.\d)?{NBSP}h\)", english)
    client.get("/desk?lang=fr")


def test_the_queue_counts_with_the_french_plural(browser, ids):
    client = browser("n1")
    count = re.compile(r'id="queue-count">([^<]*)<')
    assert count.search(client.get("/desk?queue=all&q=zzzzzz&lang=fr").text).group(1) == "0 ticket"
    one = ids["tickets"][1]
    assert count.search(client.get(f"/desk?queue=all&q=%23{one}").text).group(1) == "1 ticket"
    several = count.search(client.get("/desk?queue=all").text).group(1)
    assert re.fullmatch(r"\d+ tickets", several), several
    assert count.search(client.get("/desk?queue=all&q=zzzzzz&lang=en").text).group(1) == "0 tickets"
    client.get("/desk?lang=fr")


def test_the_approvers_notice_agrees_with_its_number(browser):
    page = browser("approver").get("/mes-demandes?lang=fr").text
    notice = re.search(r"(\d+) (demandes? d'accès attend(?:ent)? votre validation\.)", page)
    assert notice, page
    n, text = int(notice.group(1)), notice.group(2)
    assert text == ("demande d'accès attend votre validation." if n < 2 else "demandes d'accès attendent votre validation.")
    assert "(s)" not in page


def test_no_page_says_s_in_brackets():
    templates = sorted((ROOT / "ticket_service" / "templates").rglob("*.html"))
    views = sorted((ROOT / "ticket_service" / "http" / "web").glob("*.py"))
    offenders = [f"{path.relative_to(ROOT)}:{n}" for path in templates + views
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if re.search(r"[\"'][^\"']*\w\(s\)", line) or "|round" in line]  # « ticket(s) » in a message
    assert offenders == [], "use ngettext for plurals and the number/percent/hours filters for numbers"


def test_every_plural_message_has_its_forms_in_french_and_english(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "ticket_service/babel.cfg",
                    "-k", "_l", "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as handle:
        plurals = {m.id for m in read_po(handle) if m.pluralizable}
    assert plurals, "the pages have plural messages"
    for lang, rule in (("fr", "(n > 1)"), ("en", "(n != 1)")):
        with (SOURCE / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            catalogue = read_po(handle)
        assert catalogue.plural_expr == rule, lang
        forms = {m.id: m.string for m in catalogue if m.pluralizable}
        missing = [ids[0] for ids in plurals if ids not in forms or not all(forms[ids])]
        assert missing == [], f"{lang}: give both forms of {missing}"
