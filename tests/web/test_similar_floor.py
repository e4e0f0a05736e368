"""« Tickets similaires » hides weak matches: the floor is measured on a labelled set of similar and dissimilar pairs
of desk tickets (tests/fixtures/similar_tickets.json), each scored as the desk scores it, among the open tickets."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tshelpers import ROOT, ROLES
from web_fixtures import Browser, new_ticket

from ticket_service.domain import duplicates
from ticket_service.domain import tickets as domain
from ticket_service.domain.vocabulary import OPEN
from ticket_service.runtime import get_ctx
from ticket_service.store.models import Person, Ticket

LABELLED = json.loads((ROOT / "tests" / "fixtures" / "similar_tickets.json").read_text(encoding="utf-8"))
OLD_FLOOR = 0.25


def _figures(scored: list[tuple[float, bool]], floor: float) -> dict:
    shown = [similar for score, similar in scored if score >= floor]
    similar = sum(1 for _, s in scored if s)
    return {"floor": floor, "shown": len(shown), "similar_shown": sum(shown), "dissimilar_shown": shown.count(False),
            "precision": sum(shown) / len(shown) if shown else 1.0, "recall": sum(shown) / similar}


@pytest.fixture(scope="module")
def scored(app) -> list[tuple[float, bool]]:
    """Score every labelled pair on the demo company's open tickets plus the set's own tickets (rolled back)."""
    with app.app_context(), app.extensions["guichet_db"].writer() as db:
        ctx = get_ctx()
        person = db.scalar(select(Person).where(Person.email == ROLES["employee_a"]))
        ids = {}
        for ref in sorted({side for a, b, _ in LABELLED["pairs"] for side in (a, b)}):
            if ref.startswith("demo-"):
                demo = db.scalar(select(Ticket).where(Ticket.help_session_id == ref))
                if demo.status in OPEN:
                    ids[ref] = demo.id
                    continue
                title, description = demo.title, demo.description  # a closed demo ticket, as if it were open
            else:
                title, description = LABELLED["tickets"][ref]
            ids[ref] = domain.create_ticket(db, ctx, person, {"title": title, "description": description}).id
        db.flush()
        result = []
        for a, b, similar in LABELLED["pairs"]:
            found = dict((t.id, s) for t, s in duplicates.likely_duplicates(db, db.get(Ticket, ids[a]), k=200, min_score=0))
            result.append((found.get(ids[b], 0.0), similar))
        db.rollback()
    return result


def test_the_floor_hides_dissimilar_pairs_and_keeps_most_similar_ones(scored):
    floor = duplicates.similar_floor()  # the fused scale with the encoder, the lexical one without
    old, new = _figures(scored, OLD_FLOOR), _figures(scored, floor)
    print(f"\n{'floor':>6} {'shown':>6} {'similar':>8} {'dissimilar':>11} {'precision':>10} {'recall':>7}")
    for row in [_figures(scored, shown) for shown in sorted({0.2, OLD_FLOOR, 0.3, 0.4, 0.45, floor})]:
        print(f"{row['floor']:6.2f} {row['shown']:6d} {row['similar_shown']:8d} {row['dissimilar_shown']:11d} "
              f"{row['precision']:10.2f} {row['recall']:7.2f}")
    assert len(scored) >= 40 and sum(s for _, s in scored) >= 20
    assert new["precision"] >= 0.9 and new["recall"] >= 0.7
    assert new["dissimilar_shown"] < old["dissimilar_shown"]


def test_the_desk_hides_matches_below_the_floor(app):
    weak = new_ticket(app, "employee_a", title="Excel se ferme tout seul",
                      description="Excel se ferme dès que j'ouvre un classeur partagé, sans message.")
    with app.extensions["guichet_db"].reader() as db:
        ranked = duplicates.likely_duplicates(db, db.get(Ticket, weak), min_score=0)
    best = ranked[0][1]
    assert best >= OLD_FLOOR  # the old floor showed it as a « similar » ticket: it is not
    similar = Browser(app, "n1").get(f"/desk/tickets/{weak}").text.split('id="similar"')[1].split("</ul>")[0]
    assert "Aucun." in similar and "/desk/tickets/" not in similar
    strong = new_ticket(app, "employee_b", title="Excel plante à l'ouverture d'un classeur partagé",
                        description="Dès que j'ouvre un classeur partagé, Excel se ferme sans message.")
    similar = Browser(app, "n1").get(f"/desk/tickets/{strong}").text.split('id="similar"')[1].split("</ul>")[0]
    assert f"/desk/tickets/{weak}" in similar
