"""Benchmark: the garbage collector's pauses while one dashboard panel is served from its snapshot, on the L-03 data.

Run: ``.venv/bin/python -m benchmarks.gc_pauses [--calls 200] [--path /api/v1/metrics/mttr?period=90d]
[--first-threshold N]``. Reuses ``benchmarks.dashboard``'s seeded PostgreSQL schema (seeding it on the first run),
runs the reports.refresh job once, then serves the panel ``--calls`` times through the app and prints p50, p95 and
max beside each call over 150 ms with the collections it contained (generation, ms). The app sets the first
threshold from GC_FIRST_THRESHOLD; ``--first-threshold`` overrides it afterwards (700: CPython's default).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks import dashboard
from tests.tshelpers import Browser


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--path", default="/api/v1/metrics/mttr?period=90d")
    parser.add_argument("--first-threshold", type=int, help="set after the app started (700: CPython's default)")
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    seeded = argparse.Namespace(tickets=120_000, comments=500_000, help_events=500_000, people=5_000,
                                database_url=args.database_url, schema=dashboard.SCHEMA, reseed=False,
                                no_cache=False, refreshed=True)
    sizes = {"tickets": 120_000, "comments": 500_000, "help_events": 500_000, "people": 5_000, "history": 1}
    pauses: list[tuple[int, float]] = []
    began: list[float] = []

    def watch(phase, info):
        if phase == "start":
            began.append(time.perf_counter())
        else:
            pauses.append((info["generation"], (time.perf_counter() - began.pop()) * 1000))

    with tempfile.TemporaryDirectory() as tmp:
        app, now, _ = dashboard.prepared_app(seeded, sizes, Path(tmp))
        dashboard.refresh(app, now)
        if args.first_threshold:
            _, second, third = gc.get_threshold()
            gc.set_threshold(args.first_threshold, second, third)
        print(f"GC thresholds {gc.get_threshold()}; {args.calls} calls of {args.path}\n")
        browser = Browser(app, "admin")
        gc.callbacks.append(watch)
        times = []
        for call in range(args.calls):
            pauses.clear()
            begin = time.perf_counter()
            assert browser.get(args.path).status_code == 200
            took = (time.perf_counter() - begin) * 1000
            times.append(took)
            if took > 150:
                print(f"call {call}: {took:.0f} ms; collections (generation, ms): "
                      f"{[(g, round(ms)) for g, ms in pauses if ms >= 1]}")
        gc.callbacks.remove(watch)
        app.extensions["guichet_db"].dispose()
    times.sort()
    print(f"\np50 {statistics.median(times):.1f} ms, p95 {times[int(0.95 * len(times)) - 1]:.1f} ms, "
          f"max {times[-1]:.1f} ms; objects tracked by the collector: {len(gc.get_objects()):,}")


if __name__ == "__main__":
    main()
