"""Benchmark L-04, the soak: a tenth of the L-01 load for 30 minutes on `guichet serve --workers 2` (PostgreSQL),
sampling each worker's memory and open files every minute.

Run: .venv/bin/python -m benchmarks.soak [--minutes 30] [--suggest-rate 5] [--create-rate 0.5] [--workers 2]
Needs GUICHET_TEST_DATABASE_URL (PostgreSQL; a schema of its own, dropped afterwards). The first minute warms the
workers up (index loaded, caches filled): growth is measured from its end. Prints one row per minute (RSS and file
descriptors of each worker, requests, errors, p95) and, at the end, the growth of each worker beside the catalogue's
bound (RSS growth < 20 %, stable descriptor count).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.mixed_storm import percentile, run_load  # noqa: E402  (the same load code)
from benchmarks.serving import demo_service, start, worker_pids  # noqa: E402
from servers import free_port  # noqa: E402

BOUND = 0.20  # catalogue L-04: RSS growth under 20 %


def sample(pid: int) -> tuple[float, int]:
    """Return a process's resident memory in MB and its count of open file descriptors (Linux /proc)."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    return rss_kb / 1024, len(os.listdir(f"/proc/{pid}/fd"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=30)
    parser.add_argument("--suggest-rate", type=float, default=5)
    parser.add_argument("--create-rate", type=float, default=0.5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    base_url = os.environ.get("GUICHET_TEST_DATABASE_URL")
    if not base_url:
        raise SystemExit("Set GUICHET_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test")
    with demo_service(base_url, "soak") as (environ, token, _url):
        port = free_port()
        server = start(environ, port, args.workers)
        try:
            pids = worker_pids(server.pid)
            print(f"## Soak (L-04): {args.suggest_rate:g} suggestions/s + {args.create_rate:g} creates/s for "
                  f"{args.minutes} min, gunicorn {args.workers} workers (pids {', '.join(map(str, pids))}), "
                  "PostgreSQL\n")
            print("| minute | " + " | ".join(f"worker {i + 1} RSS MB / fds" for i in range(len(pids)))
                  + " | requests | errors | suggest p95 ms | create p95 ms |")
            print("|---|" + "---|" * len(pids) + "---|---|---|---|")
            samples: list[list[tuple[float, int]]] = []
            for minute in range(1, args.minutes + 1):
                results, errors, _ack, _why = run_load(port, token, 60, args.suggest_rate, args.create_rate)
                if worker_pids(server.pid) != pids:
                    raise SystemExit(f"a worker was replaced during the soak: {pids} → {worker_pids(server.pid)}")
                now = [sample(pid) for pid in pids]
                samples.append(now)
                p95 = {k: percentile(v, 95) if v else float("nan") for k, v in results.items()}
                print(f"| {minute} | " + " | ".join(f"{rss:.1f} / {fds}" for rss, fds in now)
                      + f" | {sum(map(len, results.values())) + sum(errors.values())} | {sum(errors.values())} "
                        f"| {p95['suggest']:.1f} | {p95['create']:.1f} |", flush=True)
            print()
            for i, pid in enumerate(pids):
                (rss0, fds0), (rss1, fds1) = samples[0][i], samples[-1][i]
                growth = (rss1 - rss0) / rss0
                print(f"- worker {i + 1} (pid {pid}): RSS {rss0:.1f} → {rss1:.1f} MB after the warm-up minute "
                      f"({growth:+.1%}; bound +{BOUND:.0%}: {'met' if growth < BOUND else 'NOT met'}), "
                      f"descriptors {fds0} → {fds1}")
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)


if __name__ == "__main__":
    main()
