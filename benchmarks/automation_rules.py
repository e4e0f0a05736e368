"""Benchmark: what automation rules add to a ticket's creation, and how fast the what-if replay is.

Run: .venv/bin/python benchmarks/automation_rules.py [--tickets 60] [--replay 2000]
In-process on a temporary SQLite database (the real app and actions). Prints medians against the baseline measured in
the same run: creation with no rule (the shipped helpdesk.yml). Replay: pure computation over synthetic tickets.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the project first: tests/ticket_service must not shadow the package
from tshelpers import ROLES, migrated_app  # noqa: E402  (the tests' app on a migrated database)


def rules(count: int, matching: bool) -> list[dict]:
    """``count`` rules on created; each matches every ticket (set + tag) or none (a word nobody writes)."""
    words = ["imprimante"] if matching else ["zzz-absent"]
    return [{"name": f"regle-{i}", "when": ["created"], "if": {"words": list(words)}, "then": [{"set": {"urgency": "high"}}, {"tag": f"t{i}"}]} for i in range(count)]


def load_rules(specs: list[dict], tmp: Path):
    from ticket_service.domain.policies import load_policies

    text = (ROOT / "helpdesk.yml").read_text(encoding="utf-8")
    path = tmp / "bench-helpdesk.yml"
    path.write_text(text.replace("\nautomation: []\n", "\n" + yaml.safe_dump({"automation": specs})), encoding="utf-8")
    return load_policies(path)


def creation_medians(app, tmp: Path, count: int) -> list[tuple[str, float]]:
    from sqlalchemy import select

    from ticket_service.actions.tickets import create_ticket
    from ticket_service.store.models import Person

    ctx = app.extensions["guichet_context"]
    shipped = ctx.policies
    cases = [("no rule (baseline, shipped helpdesk.yml)", shipped),
             ("20 rules, none matching", replace(shipped, automation=load_rules(rules(20, False), tmp).automation)),
             ("20 rules, all matching (set + tag)", replace(shipped, automation=load_rules(rules(20, True), tmp).automation))]
    times: dict[str, list[float]] = {label: [] for label, _ in cases}
    for n in range(count + 5):  # the cases take turns, so drift on a shared machine hits them alike; 5 warm-ups
        for label, policies in cases:
            ctx.policies = policies
            with app.app_context(), app.extensions["guichet_db"].writer() as db:
                actor = db.scalar(select(Person).where(Person.email == ROLES["employee_a"]))
                start = time.perf_counter()
                create_ticket(db, ctx, actor, {"title": f"Imprimante {n}", "description": "Plus rien ne sort.",
                                               "type": "incident"})
                if n >= 5:
                    times[label].append(time.perf_counter() - start)
    out = [(label, statistics.median(values) * 1000) for label, values in times.items()]
    ctx.policies = shipped
    return out


def replay_median(count: int, tmp: Path) -> tuple[float, float]:
    """Return (ms for the whole replay, µs per ticket), median of 3 runs, current vs the example proposal."""
    from ticket_service.domain.calendar import BusinessCalendar
    from ticket_service.domain.policies import load_policies
    from ticket_service.domain.replay import PastTicket, compare
    from ticket_service.store.models import utcnow

    current = load_policies(ROOT / "helpdesk.yml")
    proposed = load_policies(ROOT / "docs/examples/proposed-helpdesk.yml")
    now = utcnow()
    tickets = [PastTicket(id=i, created_at=now - timedelta(hours=3 * i % 700), type="incident", category="reseau-vpn",
                          impact=("low", "medium", "high")[i % 3], urgency=("low", "medium", "high")[i // 3 % 3],
                          title="VPN coupé" if i % 4 == 0 else "Imprimante", description="Décrit.",
                          status="closed" if i % 2 else "in_progress", resolved_at=now - timedelta(hours=1) if i % 2
                          else None) for i in range(count)]
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        compare(tickets, current, BusinessCalendar.from_policies(current), proposed,
                BusinessCalendar.from_policies(proposed), now)
        runs.append(time.perf_counter() - start)
    whole = statistics.median(runs)
    return whole * 1000, whole / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=60, help="tickets created per case")
    parser.add_argument("--replay", type=int, default=2000, help="synthetic tickets replayed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        with migrated_app("sqlite", tmp, demo=False) as app:
            medians = creation_medians(app, tmp, args.tickets)
        whole, per_ticket = replay_median(args.replay, tmp)
    baseline = medians[0][1]
    print(f"create_ticket action, median of {args.tickets} (SQLite, in-process)")
    print(f"{'case':45} {'median ms':>10} {'vs baseline':>12}")
    for label, value in medians:
        print(f"{label:45} {value:10.2f} {value / baseline:11.2f}×")
    print()
    print(f"policies replay (pure computation), {args.replay} tickets, current vs docs/examples/proposed-helpdesk.yml")
    print(f"{'whole replay, median of 3':45} {whole:10.1f} ms")
    print(f"{'per ticket':45} {per_ticket:10.1f} µs")


if __name__ == "__main__":
    main()
