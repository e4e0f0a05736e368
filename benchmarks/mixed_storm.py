"""Benchmark L-01: 50 suggestion queries/s and 5 ticket creates/s at once against the real `guichet serve` (SQLite).

Run: .venv/bin/python benchmarks/mixed_storm.py [--seconds 30] [--suggest-rate 50] [--create-rate 5]
Open-loop load (requests start on schedule whatever the answers), waitress with 8 threads, the index of kb/.
Prints p50/p95 per kind and compares them with the reliability catalogue's budgets (suggest 150 ms, create 500 ms).
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
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from servers import free_port, start_server  # noqa: E402  (the launcher the crash tests use)

BUDGET_MS = {"suggest": 150.0, "create": 500.0}
QUERIES = ["le vpn me dit mot de passe incorrect", "imprimante hors ligne", "mon pc rame depuis ce matin",
           "outlook redemande le mot de passe", "teams on m'entend pas", "bitlocker demande une clé au démarrage",
           "le wifi du bureau refuse mon mot de passe", "ma boite mail est pleine", "écran noir station d'accueil",
           "onedrive croix rouge sur les fichiers"]


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def run_load(port: int, token: str, seconds: float, suggest_rate: float, create_rate: float,
             ) -> tuple[dict[str, list[float]], dict[str, int], dict[int, str], Counter]:
    """Send the open-loop mix (requests start on schedule whatever the answers) to 127.0.0.1:``port``.

    Return the latencies in ms of the answered requests per kind, the errors per kind, the acknowledged
    tickets (id → title) and the errors by reason (kind and status or exception). Also used by benchmarks/serving.py.
    """
    local = threading.local()
    results: dict[str, list[float]] = {"suggest": [], "create": []}
    errors: dict[str, int] = {"suggest": 0, "create": 0}
    acknowledged: dict[int, str] = {}
    reasons: Counter = Counter()
    lock = threading.Lock()

    def request(kind: str, n: int) -> None:
        conn = getattr(local, "conn", None) or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        local.conn = conn
        ticket_id, reason = None, None
        if kind == "suggest":
            method, path, body = "GET", "/api/v1/suggest?q=" + quote(QUERIES[n % len(QUERIES)]), None
            headers = {"Authorization": f"Bearer {token}"}
        else:
            method, path = "POST", "/api/v1/tickets"
            title = f"Tempête {n} {uuid.uuid4().hex[:8]}"
            body = json.dumps({"title": title, "description": "Mesure L-01 (tempête mixte)."})
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                       "Idempotency-Key": str(uuid.uuid4())}
        start = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            ok = response.status == (200 if kind == "suggest" else 201)
            reason = None if ok else f"{kind} {response.status}"
            if ok and kind == "create":
                ticket_id = json.loads(data)["id"]
        except (OSError, http.client.HTTPException, ValueError) as exc:
            local.conn, ok, reason = None, False, f"{kind} {type(exc).__name__}"
        elapsed = (time.perf_counter() - start) * 1000
        with lock:
            (results[kind].append(elapsed) if ok else None)
            errors[kind] += 0 if ok else 1
            if ticket_id is not None:
                acknowledged[ticket_id] = title
            if reason is not None:
                reasons[reason] += 1

    schedule = sorted([(i / suggest_rate, "suggest", i) for i in range(int(seconds * suggest_rate))]
                      + [(i / create_rate, "create", i) for i in range(int(seconds * create_rate))])
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=64) as pool:
        for at, kind, n in schedule:
            delay = began + at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(request, kind, n)
    return results, errors, acknowledged, reasons


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--suggest-rate", type=float, default=50)
    parser.add_argument("--create-rate", type=float, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {"GUICHET_DATABASE_URL": f"sqlite:///{tmp}/storm.sqlite3", "GUICHET_SECRET_KEY": "bench",
               "GUICHET_SITE_DIR": tmp, "GUICHET_INSTANCE_PATH": tmp, "GUICHET_ATTACHMENTS_DIR": f"{tmp}/att",
               "GUICHET_INDEX_DIR": f"{tmp}/index", "GUICHET_MANIFEST_PATH": f"{tmp}/manifest.json",
               "GUICHET_SUGGEST_PER_SECOND": "10000", "GUICHET_SUGGEST_BURST": "10000"}  # one load generator
        environ = {**os.environ, **env}
        guichet = [sys.executable, "-m", "ticket_service"]
        subprocess.run([sys.executable, "-m", "search", "build", "kb", "--out", f"{tmp}/index"], env=environ, cwd=ROOT,
                       check=True, capture_output=True)
        subprocess.run(guichet + ["db", "upgrade"], env=environ, cwd=ROOT, check=True, capture_output=True)
        subprocess.run(guichet + ["demo", "load"], env=environ, cwd=ROOT, check=True, capture_output=True)
        token = subprocess.run(guichet + ["users", "token", "claire.rousseau@ferrand-associes.fr"], env=environ,
                               cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
        port = free_port()
        server = start_server(env, port, ROOT, threads=8)
        try:
            results, errors, _, _ = run_load(port, token, args.seconds, args.suggest_rate, args.create_rate)
        finally:
            server.terminate()
            server.wait(timeout=15)
            server.stderr.close()
        print(f"## Mixed storm (L-01): {args.suggest_rate:g} suggestions/s + {args.create_rate:g} creates/s for "
              f"{args.seconds:g} s, waitress 8 threads, SQLite, kb/ index\n")
        print("| kind | requests | errors | p50 ms | p95 ms | budget p95 ms | ratio to budget |")
        print("|---|---|---|---|---|---|---|")
        for kind, values in results.items():
            p50, p95 = percentile(values, 50), percentile(values, 95)
            print(f"| {kind} | {len(values) + errors[kind]} | {errors[kind]} | {p50:.1f} | {p95:.1f} | "
                  f"{BUDGET_MS[kind]:.0f} | {p95 / BUDGET_MS[kind]:.2f} |")


if __name__ == "__main__":
    main()
