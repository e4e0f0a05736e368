"""Benchmark: create-ticket latency (p50/p95) under 16 concurrent clients against the real `guichet serve` on SQLite.

Run: .venv/bin/python benchmarks/create_tickets.py [--clients 16] [--requests 50]
Prints a table; the server is waitress (8 threads, the default) on a temporary SQLite database (WAL, synchronous=FULL).
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=50, help="per client")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {"GUICHET_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3", "GUICHET_SECRET_KEY": "bench",
               "GUICHET_SITE_DIR": tmp, "GUICHET_INSTANCE_PATH": tmp, "GUICHET_ATTACHMENTS_DIR": f"{tmp}/att"}
        environ = {**os.environ, **env}
        guichet = [sys.executable, "-m", "ticket_service"]
        subprocess.run(guichet + ["db", "upgrade"], env=environ, cwd=ROOT, check=True, capture_output=True)
        subprocess.run(guichet + ["demo", "load"], env=environ, cwd=ROOT, check=True, capture_output=True)
        token = subprocess.run(guichet + ["users", "token", "claire.rousseau@ferrand-associes.fr"], env=environ, cwd=ROOT,
                               check=True, capture_output=True, text=True).stdout.strip()
        port = free_port()
        server = start_server(env, port, ROOT)
        latencies: list[float] = []
        errors: list[int] = []
        lock = threading.Lock()
        barrier = threading.Barrier(args.clients)

        def client(worker: int) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            barrier.wait()
            for n in range(args.requests):
                body = json.dumps({"title": f"Banc d'essai {worker}-{n}", "description": "Mesure de latence à la création."})
                start = time.perf_counter()
                conn.request("POST", "/api/v1/tickets", body=body, headers={
                    "Content-Type": "application/json", "Authorization": f"Bearer {token}",
                    "Idempotency-Key": str(uuid.uuid4())})
                response = conn.getresponse()
                response.read()
                elapsed = time.perf_counter() - start
                with lock:
                    (latencies.append(elapsed) if response.status == 201 else errors.append(response.status))
            conn.close()

        try:
            threads = [threading.Thread(target=client, args=(w,)) for w in range(args.clients)]
            started = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=10)
            server.stderr.close()
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(f"{'clients':>8} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'tickets/s':>10}")
    print(f"{args.clients:>8} {len(latencies) + len(errors):>9} {len(errors):>7} {statistics.median(latencies) * 1000:>8.1f} "
          f"{p95 * 1000:>8.1f} {latencies[-1] * 1000:>8.1f} {len(latencies) / wall:>10.1f}")
    print("SQLite WAL + synchronous=FULL, BEGIN IMMEDIATE, waitress 8 threads, Idempotency-Key on every request.")


if __name__ == "__main__":
    main()
