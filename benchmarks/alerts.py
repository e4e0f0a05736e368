"""Benchmark: alerts absorbed per second by POST /api/v1/alerts under a concurrent burst, on SQLite and PostgreSQL.

Run: .venv/bin/python benchmarks/alerts.py [--alerts 1000] [--fingerprints 10] [--clients 16] [--runs 3]
     [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]   (default: $GUICHET_TEST_DATABASE_URL; omit to skip PG)

Each run is a burst of --alerts generic alerts (many repeats of a few fingerprints) from --clients threads against
the real `guichet serve` (waitress, 8 threads), under a fresh source (`guichet alerts token add`). The baseline, in
the same run and server, is the plain ticket create (POST /api/v1/tickets with a person's API token). Prints the
medians of the runs and the tickets each burst opened, which must equal the distinct fingerprints.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from servers import free_port, start_server  # noqa: E402  (the launcher of the kill -9 and storm tests)

GUICHET = [sys.executable, "-m", "ticket_service"]


def burst(port: int, clients: int, requests: list[tuple[str, dict, dict]]) -> tuple[float, dict[int, int], list]:
    """Send the requests from ``clients`` threads at once; return (requests/s, status counts, JSON answers)."""
    statuses: dict[int, int] = {}
    answers: list = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)

    def client(worker: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        barrier.wait()
        for path, body, headers in requests[worker::clients]:
            conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json", **headers})
            response = conn.getresponse()
            data = response.read()
            with lock:
                statuses[response.status] = statuses.get(response.status, 0) + 1
                if response.status in (200, 201):
                    answers.append(json.loads(data))
        conn.close()

    threads = [threading.Thread(target=client, args=(w,)) for w in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return len(requests) / (time.perf_counter() - started), statuses, answers


def pg_schema(url: str) -> tuple[str, object]:
    """Return (url, cleanup) of a fresh schema in the PostgreSQL database at ``url``."""
    from sqlalchemy import create_engine, text

    schema = "bench_" + uuid.uuid4().hex[:10]
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def cleanup():
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}", cleanup


def tickets_of(url: str, source: str) -> int:
    """Return how many tickets a source's alerts opened."""
    from sqlalchemy import func, select

    from ticket_service.store.db import Database
    from ticket_service.store.models import AlertSource, Ticket

    database = Database(url)
    try:
        with database.reader() as db:
            person = db.scalar(select(AlertSource.person_id).where(AlertSource.name == source))
            return db.scalar(select(func.count()).select_from(Ticket).where(Ticket.requester_id == person))
    finally:
        database.dispose()


def measure(backend: str, url: str, tmp: str, args) -> dict:
    env = {"GUICHET_DATABASE_URL": url, "GUICHET_SECRET_KEY": "bench", "GUICHET_SITE_DIR": tmp,
           "GUICHET_INSTANCE_PATH": tmp, "GUICHET_ATTACHMENTS_DIR": f"{tmp}/att"}
    environ = {**os.environ, **env}

    def guichet(*command: str) -> str:
        return subprocess.run(GUICHET + list(command), env=environ, cwd=ROOT, check=True, capture_output=True,
                              text=True).stdout.strip()

    guichet("db", "upgrade")
    guichet("demo", "load")
    person_token = guichet("users", "token", "claire.rousseau@ferrand-associes.fr")
    sources = [f"burst-{n}" for n in range(args.runs)]
    source_tokens = {name: guichet("alerts", "token", "add", name).splitlines()[0] for name in sources}
    port = free_port()
    server = start_server(env, port, ROOT)
    # waitress logs its queue depth on stderr under a burst: a full, unread pipe would stall the server
    threading.Thread(target=lambda: server.stderr.read(), daemon=True).start()
    rates, baselines, tickets, failures = [], [], [], {}
    try:
        for name in sources:
            auth = {"Authorization": f"Bearer {source_tokens[name]}"}
            alerts = [("/api/v1/alerts", {"fingerprint": f"fp-{n % args.fingerprints}", "status": "firing",
                                          "title": f"Service {n % args.fingerprints} injoignable",
                                          "severity": "critical"}, auth) for n in range(args.alerts)]
            rate, statuses, answers = burst(port, args.clients, alerts)
            rates.append(rate)
            failures.update({code: count for code, count in statuses.items() if code != 200})
            tickets.append(tickets_of(url, name))
            creates = [("/api/v1/tickets", {"title": f"Banc d'essai {n}", "description": "Création de référence."},
                        {"Authorization": f"Bearer {person_token}"}) for n in range(args.baseline)]
            rate, statuses, _ = burst(port, args.clients, creates)
            baselines.append(rate)
            failures.update({code: count for code, count in statuses.items() if code != 201})
    finally:
        server.terminate()
        server.wait(timeout=10)
    return {"backend": backend, "alerts/s": statistics.median(rates), "creates/s": statistics.median(baselines),
            "tickets": tickets, "failures": failures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1000, help="alerts per burst")
    parser.add_argument("--fingerprints", type=int, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", type=int, default=300, help="plain ticket creates per baseline run")
    parser.add_argument("--pg", default=os.environ.get("GUICHET_TEST_DATABASE_URL"))
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(measure("sqlite", f"sqlite:///{tmp}/bench.sqlite3", tmp, args))
    if args.pg:
        url, cleanup = pg_schema(args.pg)
        try:
            with tempfile.TemporaryDirectory() as tmp:
                rows.append(measure("postgresql", url, tmp, args))
        finally:
            cleanup()
    else:
        print("(PostgreSQL skipped: pass --pg URL or set GUICHET_TEST_DATABASE_URL)")
    print(f"{'backend':<11} {'alerts/s':>9} {'baseline creates/s':>19} {'tickets per burst':>18} {'expected':>9}"
          "  errors")
    for row in rows:
        ok = all(t == args.fingerprints for t in row["tickets"])
        print(f"{row['backend']:<11} {row['alerts/s']:>9.1f} {row['creates/s']:>19.1f} "
              f"{','.join(map(str, row['tickets'])):>18} {args.fingerprints:>9}  {row['failures'] or 'none'}"
              f"{'' if ok else '  DUPLICATE TICKETS'}")
    print(f"median of {args.runs} bursts of {args.alerts} alerts ({args.fingerprints} fingerprints) from "
          f"{args.clients} clients; baseline: POST /api/v1/tickets, same server, same clients; waitress 8 threads.")


if __name__ == "__main__":
    main()
