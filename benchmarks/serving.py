"""Benchmark L-01 on the production config: the mixed load on PostgreSQL, `guichet serve --workers 2` (gunicorn) beside the single waitress process.

Run: .venv/bin/python -m benchmarks.serving [--seconds 60] [--suggest-rate 50] [--create-rate 5] [--workers 2]
     [--kill-every 15]
Needs GUICHET_TEST_DATABASE_URL (PostgreSQL; each run gets its own schema, dropped afterwards). The same open-loop
load (benchmarks/mixed_storm.py's) goes first to waitress (1 process, 8 threads), then to gunicorn (N workers,
8 threads each); the table gives p50/p95 and errors of each. With --kill-every S, a second gunicorn run kill -9s one
worker every S seconds (gunicorn starts a new one) and reports the errors clients saw and whether every
acknowledged ticket is in the database.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.mixed_storm import BUDGET_MS, percentile, run_load  # noqa: E402  (the same load code)
from servers import free_port  # noqa: E402  (tests/, put on the path by mixed_storm)


def pg_schema(base_url: str):
    """Create a fresh schema; return its URL and a function that drops it."""
    from sqlalchemy import create_engine, text

    schema = "bench_" + uuid.uuid4().hex[:10]
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}options=-csearch_path%3D{schema}", drop


def start(environ: dict, port: int, workers: int) -> subprocess.Popen:
    """Start `guichet serve` and return once /healthz answers."""
    process = subprocess.Popen([sys.executable, "-m", "ticket_service", "serve", "--port", str(port), "--threads", "8",
                                "--workers", str(workers), "--no-jobs"], cwd=ROOT, env=environ,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120  # a loaded machine is slow to load the index in each worker
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                time.sleep(3 if workers > 1 else 0)  # let every worker finish booting, not only the first
                return process
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"guichet serve --workers {workers} did not start")


def worker_pids(arbiter: int) -> list[int]:
    """Return the gunicorn workers' pids: the arbiter's children (Linux /proc)."""
    try:
        return [int(pid) for pid in Path(f"/proc/{arbiter}/task/{arbiter}/children").read_text().split()]
    except OSError:
        return []


def killer(arbiter: int, every: float, stop: threading.Event, killed: list[int]) -> None:
    """kill -9 one gunicorn worker every ``every`` seconds until ``stop``."""
    while not stop.wait(every):
        pids = worker_pids(arbiter)
        if pids:
            victim = random.choice(pids)
            try:
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)
            except ProcessLookupError:
                pass


def run(environ: dict, args, workers: int, token: str, kill_every: float = 0.0) -> dict:
    port = free_port()
    server = start(environ, port, workers)
    stop, killed = threading.Event(), []
    chaos = threading.Thread(target=killer, args=(server.pid, kill_every, stop, killed), daemon=True)
    if kill_every:
        chaos.start()
    try:
        results, errors, acknowledged, reasons = run_load(port, token, args.seconds, args.suggest_rate,
                                                          args.create_rate)
    finally:
        stop.set()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return {"results": results, "errors": errors, "acknowledged": acknowledged, "killed": len(killed),
            "reasons": reasons}


def stored(url: str, ids) -> int:
    from sqlalchemy import func, select

    from ticket_service.store.db import Database
    from ticket_service.store.models import Ticket

    database = Database(url)
    try:
        with database.reader() as db:
            return db.scalar(select(func.count()).select_from(Ticket).where(Ticket.id.in_(list(ids)))) or 0
    finally:
        database.dispose()


@contextlib.contextmanager
def demo_service(base_url: str, secret: str):
    """Yield (environment, employee API token) of a fresh demo company on its own PostgreSQL schema and index."""
    url, drop = pg_schema(base_url)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {"GUICHET_DATABASE_URL": url, "GUICHET_SECRET_KEY": secret, "GUICHET_SITE_DIR": tmp,
                   "GUICHET_INSTANCE_PATH": tmp, "GUICHET_ATTACHMENTS_DIR": f"{tmp}/att",
                   "GUICHET_INDEX_DIR": f"{tmp}/index", "GUICHET_MANIFEST_PATH": f"{tmp}/manifest.json",
                   "GUICHET_SUGGEST_PER_SECOND": "10000", "GUICHET_SUGGEST_BURST": "10000"}  # one load generator
            environ = {**os.environ, **env}
            environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
            guichet = [sys.executable, "-m", "ticket_service"]
            subprocess.run([sys.executable, "-m", "search", "build", "kb", "--out", f"{tmp}/index"], env=environ,
                           cwd=ROOT, check=True, capture_output=True)
            subprocess.run(guichet + ["db", "upgrade"], env=environ, cwd=ROOT, check=True, capture_output=True)
            subprocess.run(guichet + ["demo", "load"], env=environ, cwd=ROOT, check=True, capture_output=True)
            token = subprocess.run(guichet + ["users", "token", "claire.rousseau@ferrand-associes.fr"], env=environ,
                                   cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
            yield environ, token, url
    finally:
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--suggest-rate", type=float, default=50)
    parser.add_argument("--create-rate", type=float, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kill-every", type=float, default=0, help="Seconds between two kill -9 of a worker (0: off).")
    args = parser.parse_args()
    base_url = os.environ.get("GUICHET_TEST_DATABASE_URL")
    if not base_url:
        raise SystemExit("Set GUICHET_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test")
    with demo_service(base_url, "bench") as (environ, token, url):
        runs = [("waitress, 1 process", run(environ, args, 1, token)),
                (f"gunicorn, {args.workers} workers", run(environ, args, args.workers, token))]
        if args.kill_every:
            runs.append((f"gunicorn, {args.workers} workers, kill -9 every {args.kill_every:g} s",
                         run(environ, args, args.workers, token, args.kill_every)))
        print(f"## Serving: {args.suggest_rate:g} suggestions/s + {args.create_rate:g} creates/s for "
              f"{args.seconds:g} s, PostgreSQL, 8 threads per process, kb/ index\n")
        print("| server | kind | requests | errors | p50 ms | p95 ms | budget p95 ms | workers killed | "
              "acknowledged tickets stored |")
        print("|---|---|---|---|---|---|---|---|---|")
        for name, outcome in runs:
            for kind, values in outcome["results"].items():
                p50 = percentile(values, 50) if values else float("nan")
                p95 = percentile(values, 95) if values else float("nan")
                kept = ""
                if kind == "create":
                    ids = outcome["acknowledged"]
                    kept = f"{stored(url, ids)}/{len(ids)}"
                print(f"| {name} | {kind} | {len(values) + outcome['errors'][kind]} | {outcome['errors'][kind]} | "
                      f"{p50:.1f} | {p95:.1f} | {BUDGET_MS[kind]:.0f} | {outcome['killed']} | {kept} |")
        print()
        for name, outcome in runs:
            if outcome["reasons"]:
                print(f"Errors of {name}: " + ", ".join(f"{why} × {n}" for why, n in outcome["reasons"].most_common()))


if __name__ == "__main__":
    main()
