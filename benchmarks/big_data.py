"""Benchmark (catalogue L-03): the pages employees and technicians use most, on a big helpdesk history.

Usage, from the project folder: ``.venv/bin/python -m benchmarks.big_data [--tickets 120000] [--comments 500000]
[--people 5000] [--runs 20]`` (run as a module, it imports the test helpers as ``tests.tshelpers`` and
``tests.big_data``).
Seeds a fresh SQLite database (WAL, synchronous=FULL, as served) with the demo company plus the given volume, then
serves each page ``--runs`` times through the real app (Flask test client: the app and the database, not HTTP) and
prints p50 / p95 against the catalogue's budgets, with every full scan of a big table the page's queries make.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import select, update

from tests.big_data import StatementLog, full_scans, seed
from tests.tshelpers import ROLES, Browser, migrated_app
from ticket_service.store.models import Person, Ticket

# (who, path, budget p95 ms, what the catalogue calls it)
PAGES = [
    ("employee_a", "/mes-demandes", 200, "My tickets (page)"),
    ("employee_a", "/api/v1/tickets", 200, "My tickets (API)"),
    ("employee_a", "/mes-demandes/{mine}", 200, "one of my tickets"),
    ("n1", "/desk", 500, "desk, open queue with every queue's count"),
    ("n1", "/desk?queue=mine", 500, "desk, my tickets"),
    ("n1", "/desk?queue=kb_gap", 500, "desk, knowledge gaps"),
    ("n1", "/desk?queue=all", 500, "desk, all tickets, page 1"),
    ("n1", "/desk?queue=all&page=50", 500, "desk, all tickets, page 50"),
    ("n1", "/desk?queue=all&q=imprimante+lent", 500, "search all tickets (two words)"),
    ("n1", "/desk?queue=all&q=rousseau", 500, "search all tickets by requester"),
    ("n1", "/desk/tickets/{last}", 500, "a ticket at the desk"),
    ("n1", "/desk/apprentissage", 2000, "learning review"),
    ("admin", "/api/v1/metrics/deflection", 2000, "dashboard aggregates (deflection)"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=120_000)
    parser.add_argument("--comments", type=int, default=500_000)
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument("--help-events", type=int, default=120_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, migrated_app("sqlite", Path(tmp)) as app:
        database = app.extensions["guichet_db"]
        start = time.perf_counter()
        with app.app_context(), database.write() as session:
            info = seed(session, people=args.people, tickets=args.tickets, comments=args.comments,
                        help_events=args.help_events)
            employee = session.scalar(select(Person.id).where(Person.email == ROLES["employee_a"]))
            mine = list(range(info["first_ticket"], info["first_ticket"] + 25))  # a typical employee's history
            session.execute(update(Ticket).where(Ticket.id.in_(mine)).values(requester_id=employee))
        print(f"Seeded {args.tickets:,} tickets, {args.comments:,} comments, {args.people:,} people and "
              f"{args.help_events:,} help events in {time.perf_counter() - start:.1f} s.\n")
        print("| page | who | p50 ms | p95 ms | budget p95 | met | full scans |")
        print("|---|---|---|---|---|---|---|")
        browsers = {}
        for role, path, budget, label in PAGES:
            path = path.format(mine=mine[0], last=info["last_ticket"])
            browser = browsers.setdefault(role, Browser(app, role))
            browser.get(path)  # warm: templates compiled, caches filled
            times = []
            for _ in range(args.runs):
                with StatementLog(database.engine) as log:
                    begin = time.perf_counter()
                    response = browser.get(path)
                    times.append((time.perf_counter() - begin) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            with database.engine.connect() as connection:
                scans = {table for table, _ in full_scans(connection, log.statements)}
            p50, p95 = statistics.median(times), statistics.quantiles(times, n=20)[-1]
            print(f"| {label} (`{path}`) | {role} | {p50:.1f} | {p95:.1f} | {budget} | {'yes' if p95 < budget else 'NO'} "
                  f"| {', '.join(sorted(scans)) or '–'} |")


if __name__ == "__main__":
    main()
