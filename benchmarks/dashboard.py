"""Benchmark (catalogue L-03, issue « Speed »): /pilotage and every GET /api/v1/metrics/<panel> on a big history.

Usage, from the project folder: ``.venv/bin/python -m benchmarks.dashboard [--tickets 120000] [--comments 500000]
[--help-events 500000] [--people 5000] [--runs 20] [--reseed] [--write-baseline] [--no-cache | --refreshed]``.

Seeds, once, a PostgreSQL schema (``bench_dashboard`` in ``--database-url``, by default the test database) with the
demo company plus the L-03 volume (tests/big_data.seed), then replaces its one-row-per-ticket history with a
realistic one: creation, taking, waiting and answering, escalations through the N2 group and the provider,
resolutions, reopenings, self-service closures, closures and ratings, a few P1 and major incidents with followers,
and merged duplicates. A later run with the same sizes reuses the schema (migrations are applied to it first), judged
at the instant it was seeded. Each panel is then served ``--runs`` times through the real app (Flask test client:
the app and the database, not HTTP) for the last 30 and 90 days, with the previous period (as the page asks), the
page itself and today's deflection report beside them; p50 / p95 are printed against the 300 ms budget and
against ``benchmarks/dashboard-baseline.json`` (``--write-baseline`` records this run there). By default the app
keeps its answers as configured (DASHBOARD_CACHE_SECONDS, KNOWLEDGE_CACHE_SECONDS: the data do not change between
calls, so every call after the first is served again); ``--no-cache`` sets both to 0, every call computed on demand;
``--refreshed`` sets both to 0, runs the ``reports.refresh`` job once (its time per view is printed) and serves the
standard views from its snapshots, as a deployment with the job running does (the ad hoc ones stay on demand).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, delete, insert, select, text, update

from tests.big_data import seed
from tests.tshelpers import FAST_HASH, PASSWORD, Browser, app_config
from ticket_service.domain.clock import FixedClock
from ticket_service.reports.panels import PANELS
from ticket_service.store.models import IncidentFollower, Person, Ticket, TicketEvent, TicketLink

SCHEMA = "bench_dashboard"
BUDGET_MS = 300
BASELINE = Path(__file__).with_name("dashboard-baseline.json")
PERIODS = ("30d", "90d")
HOW = ("How: the figures are computed live from the history rows. Each request reads the period and the previous one "
       "in one pass: the tickets created in it or open (index scans) or changed in it (migration 0010: ticket_events "
       "(at, ticket_id), an index-only scan), their own columns on every request; their history rows and staff replies "
       "are kept between requests (reports/history_cache.py) and reread for a ticket once a row is added to it; "
       "business time uses opening windows computed once per day; the knowledge panels read the help events once per "
       "request. An answer is then served again (reports/result_cache.py) while the data version (highest ids) is "
       "unchanged: the page and each panel for DASHBOARD_CACHE_SECONDS, the knowledge panels for "
       "KNOWLEDGE_CACHE_SECONDS. 'first call' is the warm-up call of each target (computed on demand).")
HOW_NO_CACHE = "Run with --no-cache: DASHBOARD_CACHE_SECONDS = KNOWLEDGE_CACHE_SECONDS = 0, every call computed on demand."
HOW_REFRESHED = ("Run with --refreshed: DASHBOARD_CACHE_SECONDS = KNOWLEDGE_CACHE_SECONDS = 0; the reports.refresh job "
                 "computed the standard views once (reports/snapshots.py), each call reads its view's snapshot from "
                 "the database (report_snapshots) and keeps the panels asked for.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=120_000)
    parser.add_argument("--comments", type=int, default=500_000)
    parser.add_argument("--help-events", type=int, default=500_000)
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", default=os.environ.get(
        "GUICHET_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--schema", default=SCHEMA)
    parser.add_argument("--reseed", action="store_true", help="drop the seeded schema and seed it again")
    parser.add_argument("--write-baseline", action="store_true", help=f"record this run's p95 in {BASELINE.name}")
    parser.add_argument("--no-cache", action="store_true", help="compute every call on demand (no kept answers)")
    parser.add_argument("--refreshed", action="store_true",
                        help="run the reports.refresh job once, then serve the standard views from its snapshots")
    args = parser.parse_args()
    sizes = {"tickets": args.tickets, "comments": args.comments, "help_events": args.help_events,
             "people": args.people, "history": 1}
    with tempfile.TemporaryDirectory() as tmp:
        app, now, seconds = prepared_app(args, sizes, Path(tmp))
        print(f"{'Seeded' if seconds is not None else 'Reused'} schema {args.schema}: {args.tickets:,} tickets, "
              f"{args.comments:,} comments, {args.help_events:,} help events, {events_count(app):,} history rows"
              + (f" in {seconds:.1f} s" if seconds is not None else "") + f"; judged at {now:%Y-%m-%d %H:%M} UTC.\n")
        print(HOW + "\n" + (HOW_NO_CACHE + "\n" if args.no_cache else "") + (HOW_REFRESHED + "\n" if args.refreshed else ""))
        if args.refreshed:
            refresh(app, now)
        load = os.getloadavg()
        print(f"Load average when measuring: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs.\n",
              flush=True)
        rows = measure(app, args.runs)
        app.extensions["guichet_db"].dispose()
        load = os.getloadavg()
        print(f"Load average after measuring: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}.\n")
    report(rows, args, sizes)


def prepared_app(args, sizes: dict, tmp: Path):
    """Return (app, the instant the data is judged at, seconds spent seeding or None when reused)."""
    from ticket_service import create_app
    from ticket_service.demo.tickets import load_demo
    from ticket_service.runtime import get_ctx
    from ticket_service.store.db import Database, upgrade

    admin = create_engine(args.database_url, isolation_level="AUTOCOMMIT")
    fingerprint = json.dumps(sizes, sort_keys=True)
    with admin.connect() as conn:
        seeded_at = _seeded(conn, args.schema, fingerprint) if not args.reseed else None
        if seeded_at is None:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{args.schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{args.schema}"'))
    separator = "&" if "?" in args.database_url else "?"
    url = f"{args.database_url}{separator}options=-csearch_path%3D{args.schema}"
    database = Database(url)
    upgrade(database)  # a reused schema gets the migrations added since it was seeded
    database.dispose()
    live = getattr(args, "no_cache", False) or getattr(args, "refreshed", False)
    kept = {"DASHBOARD_CACHE_SECONDS": 0, "KNOWLEDGE_CACHE_SECONDS": 0} if live else {}
    app = create_app(app_config(url, tmp, DEMO_MODE=True, TRANSLATIONS_BUILD_DIR=str(tmp / "mo"), **kept))
    spent = None
    if seeded_at is None:
        start = time.perf_counter()
        seeded_at = datetime.now(UTC).replace(microsecond=0)
        with app.app_context(), app.extensions["guichet_db"].write() as session:
            load_demo(session, get_ctx(), PASSWORD, FAST_HASH, now=seeded_at)
            info = seed(session, people=args.people, tickets=args.tickets, comments=args.comments,
                        help_events=args.help_events, now=seeded_at)
            add_history(session, range(info["first_ticket"], info["last_ticket"] + 1))
        with admin.connect() as conn:
            conn.execute(text(f'CREATE TABLE "{args.schema}".bench_seed (fingerprint text, seeded_at timestamptz)'))
            conn.execute(text(f'INSERT INTO "{args.schema}".bench_seed VALUES (:f, :at)'),
                         {"f": fingerprint, "at": seeded_at})
            for table in ("tickets", "ticket_events", "comments", "help_events", "people", "ticket_links",
                          "incident_followers"):
                conn.execute(text(f'VACUUM ANALYZE "{args.schema}".{table}'))  # as autovacuum would
        spent = time.perf_counter() - start
    admin.dispose()
    ctx = app.extensions["guichet_context"]
    app.extensions["guichet_context"] = replace(ctx, clock=FixedClock(seeded_at))
    return app, seeded_at, spent


def _seeded(conn, schema: str, fingerprint: str) -> datetime | None:
    exists = conn.scalar(text("SELECT 1 FROM information_schema.tables WHERE table_schema = :s AND "
                              "table_name = 'bench_seed'"), {"s": schema})
    if not exists:
        return None
    row = conn.execute(text(f'SELECT fingerprint, seeded_at FROM "{schema}".bench_seed')).first()
    return row[1].astimezone(UTC) if row and row[0] == fingerprint else None


def add_history(session, ids) -> None:
    """Replace the seeded tickets' single creation row with a lifecycle matching each ticket's columns."""
    rng = random.Random(11)
    session.execute(delete(TicketEvent).where(TicketEvent.ticket_id.between(ids.start, ids.stop - 1)))
    staff = {level: list(session.scalars(select(Person.id).where(Person.email.in_(emails)))) for level, emails in {
        "N1": ["julie.martin@ferrand-associes.fr", "karim.benali@ferrand-associes.fr"],
        "N2": ["thomas.girard@ferrand-associes.fr"], "N3": ["support@alpes-infogerance.fr"]}.items()}
    groups = {"N1": "support-n1", "N2": "systemes-n2", "N3": "alpes-infogerance"}
    tickets = session.execute(select(
        Ticket.id, Ticket.requester_id, Ticket.created_at, Ticket.status, Ticket.level, Ticket.satisfaction_rating)
        .where(Ticket.id.between(ids.start, ids.stop - 1))).all()
    rows, updates, critical = [], [], []
    for tid, requester, created, status, level, rating in tickets:
        n1 = rng.choice(staff["N1"])

        def ev(at, field, old, new, actor):
            rows.append({"ticket_id": tid, "actor_id": actor, "at": at, "field": field, "old": old, "new": new,
                         "reason": None})

        ev(created, "status", None, "new", requester)
        assignee = None if status == "new" else n1
        if status == "closed" and rng.random() < 0.04:  # solved by self-service before anyone took it
            ev(created + timedelta(minutes=10), "status", "new", "closed", requester)
            updates.append({"tid": tid, "assignee": None, "group": "support-n1", "level": "N1"})
            continue
        if status == "awaiting_approval":
            ev(created + timedelta(minutes=1), "status", "new", "awaiting_approval", None)
            updates.append({"tid": tid, "assignee": None, "group": "support-n1", "level": "N1"})
            continue
        if status == "new":
            updates.append({"tid": tid, "assignee": None, "group": "support-n1", "level": "N1"})
            if rng.random() < 0.1:
                critical.append(tid)
            continue
        at = created + timedelta(hours=1)
        ev(at, "status", "new", "in_progress", n1)
        ev(at, "assignee_id", None, str(n1), n1)
        if status == "cancelled":
            ev(created + timedelta(hours=2), "status", "in_progress", "cancelled", requester)
            updates.append({"tid": tid, "assignee": n1, "group": "support-n1", "level": "N1"})
            continue
        if rng.random() < 0.2 or status == "waiting":
            ev(created + timedelta(hours=1, minutes=30), "status", "in_progress", "waiting", n1)
            if status != "waiting":
                ev(created + timedelta(hours=2, minutes=30), "status", "waiting", "in_progress", requester)
        current_level, group = "N1", "support-n1"
        for step, target in enumerate(("N2", "N3")):
            if level == "N1" or (target == "N3" and level == "N2") or status == "waiting":
                break
            at = created + timedelta(hours=3 + step)
            ev(at, "level", current_level, target, assignee)
            ev(at, "group", group, groups[target], assignee)
            assignee_new = rng.choice(staff[target])
            ev(at, "assignee_id", str(assignee), str(assignee_new), assignee)
            current_level, group, assignee = target, groups[target], assignee_new
        if status in ("in_progress", "waiting"):
            updates.append({"tid": tid, "assignee": assignee, "group": group, "level": current_level})
            if rng.random() < 0.1:
                critical.append(tid)
            continue
        resolved = created + timedelta(hours=5)
        ev(resolved, "status", "in_progress", "resolved", assignee)
        if rng.random() < 0.06:  # refused by the requester the next day, resolved again
            ev(resolved + timedelta(days=1), "status", "resolved", "in_progress", requester)
            ev(resolved + timedelta(days=1, hours=2), "status", "in_progress", "resolved", assignee)
        ev(created + timedelta(days=3), "status", "resolved", "closed", None)
        if rating is not None:
            ev(created + timedelta(days=1, hours=5), "satisfaction_rating", None, str(rating), requester)
        updates.append({"tid": tid, "assignee": assignee, "group": group, "level": current_level})
    for batch in (rows[i:i + 10_000] for i in range(0, len(rows), 10_000)):
        session.execute(insert(TicketEvent), batch)
    session.execute(text('CREATE TEMP TABLE bench_fix (tid int, assignee int, "group" text, level text) '
                         'ON COMMIT DROP'))
    for batch in (updates[i:i + 10_000] for i in range(0, len(updates), 10_000)):
        session.execute(text('INSERT INTO bench_fix VALUES (:tid, :assignee, :group, :level)'), batch)
    session.execute(text('UPDATE tickets SET assignee_id = f.assignee, "group" = f."group", level = f.level '
                         'FROM bench_fix f WHERE tickets.id = f.tid'))
    session.execute(update(Ticket).where(Ticket.id.in_(critical)).values(priority="P1"))
    session.execute(update(Ticket).where(Ticket.id.in_(critical[::3])).values(major=True, published=True))
    employees = list(session.scalars(select(Person.id).where(Person.role == "employee").limit(500)))
    session.execute(insert(IncidentFollower), [{"ticket_id": t, "person_id": p, "created_at": datetime.now(UTC)}
                                               for t in critical[::3] for p in rng.sample(employees, 3)])
    closed = [t[0] for t in tickets if t[3] == "closed"]
    pairs = [(a, b) for a, b in zip(closed[::97], closed[1::97]) if a != b]
    session.execute(insert(TicketLink), [{"source_id": a, "target_id": b, "kind": "duplicate_of",
                                          "created_by": staff["N1"][0], "created_at": datetime.now(UTC)}
                                         for a, b in pairs])


def refresh(app, now: datetime) -> None:
    """Run the reports.refresh job as a worker would, and print what each standard view took to compute."""
    from ticket_service.jobs import run_now
    from ticket_service.store import report_snapshots

    with app.app_context(), app.extensions["guichet_db"].write() as session:
        report_snapshots.drop_all(session)  # an earlier run's views would be skipped as unchanged
    begin = time.perf_counter()
    done = run_now(app, "reports.refresh", clock=FixedClock(now))
    spent = time.perf_counter() - begin
    costs = done["cost_ms"]
    print(f"reports.refresh: {done['computed']} views in {spent:.1f} s (per view, ms: "
          f"{', '.join(map(str, costs))}; median {statistics.median(costs):.0f}).\n", flush=True)


def events_count(app) -> int:
    with app.app_context(), app.extensions["guichet_db"].reader() as session:
        return session.scalar(text("SELECT count(*) FROM ticket_events"))


def measure(app, runs: int) -> list[dict]:
    """Time every target; return one row per target with p50 and p95 in ms."""
    browser = Browser(app, "admin")
    targets = [(f"{panel} {period}", f"/api/v1/metrics/{panel}?period={period}") for period in PERIODS
               for panel in PANELS]
    targets += [(f"page {period}", f"/pilotage?period={period}") for period in PERIODS]
    # Filtered: never pre-computed; what no filter changes comes from the desk's view when the job has run.
    targets += [("volume 30d, one category", "/api/v1/metrics/volume?period=30d&category=poste-de-travail"),
                ("page 30d, one category", "/pilotage?period=30d&category=poste-de-travail")]
    targets.append(("deflection report (today)", "/api/v1/metrics/deflection"))
    out = []
    for key, path in targets:
        begin = time.perf_counter()
        response = browser.get(path)  # warm: templates compiled, caches filled
        first = (time.perf_counter() - begin) * 1000
        assert response.status_code == 200, (path, response.status_code, response.text[:500])
        times = []
        for _ in range(runs):
            begin = time.perf_counter()
            response = browser.get(path)
            times.append((time.perf_counter() - begin) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        out.append({"key": key, "path": path, "first": first, "p50": statistics.median(times),
                    "p95": statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]})
    return out


def report(rows: list[dict], args, sizes: dict) -> None:
    """Print the table, beside the baseline's p95 when its sizes match; write the baseline on request."""
    baseline = json.loads(BASELINE.read_text(encoding="utf-8")) if BASELINE.exists() else {}
    same = baseline.get("sizes") == sizes
    before = baseline.get("p95_ms", {}) if same else {}
    deflection = next(r for r in rows if r["key"].startswith("deflection"))
    print("| target | first call ms | p50 ms | p95 ms | budget p95 | met | baseline p95 ms | × baseline "
          "| × deflection report |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        old = before.get(r["key"])
        ratio = f"{r['p95'] / old:.2f}" if old else "–"
        budget = BUDGET_MS if not r["key"].startswith("deflection") else None
        met = "–" if budget is None else ("yes" if r["p95"] <= budget else "NO")
        print(f"| {r['key']} (`{r['path']}`) | {r['first']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | {budget or '–'} "
              f"| {met} | "
              f"{f'{old:.1f}' if old else '–'} | {ratio} | {r['p95'] / deflection['p95']:.2f} |")
    if baseline and not same:
        print(f"\n{BASELINE.name} was measured on other sizes ({baseline.get('sizes')}): not compared.")
    if args.write_baseline:
        BASELINE.write_text(json.dumps({"sizes": sizes, "runs": args.runs, "note": baseline.get("note", ""),
                                        "p95_ms": {r["key"]: round(r["p95"], 1) for r in rows}},
                                       indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"\nWrote {BASELINE}.")


if __name__ == "__main__":
    main()
