"""Export figures: how long one panel takes to write as XLSX beside the CSV of the same rows (the baseline).

    .venv/bin/python -m benchmarks.exports [--rows 2000] [--runs 15]

The panel is synthetic (no database: the figures' computation is benchmarks/dashboard.py's business): a few figures
and one table of ``--rows`` rows, some with formula-like labels. Both renderers run ``--runs`` times in this
process; the table gives each one's median and the XLSX/CSV ratio, measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]


def panel_result(rows: int) -> dict:
    """Return a volume-like result with ``rows`` table rows (every tenth label starts with « = »)."""
    window = {"since": "2026-10-31T23:00:00Z", "until": "2026-11-30T23:00:00Z", "as_of": "2026-11-30T23:00:00Z"}
    figures = [{"key": key, "definition_id": key, "value": value, "unit": unit, "window": window,
                "ticket_ids": list(range(50)), "previous": value, "change": 0}
               for key, value, unit in (("volume.created", 1234, "count"), ("sla.resolution", 0.8125, "share"),
                                        ("mttr.mean", 5.5, "business_hours"))]
    table = {"key": "by_category", "definition_id": "volume.created", "columns": ["value"], "rows": [
        {"key": f"c{i}", "label": ('=HYPERLINK("http://evil.test","x") ' if i % 10 == 0 else "Catégorie ") + str(i),
         "value": i * 1.25, "previous": i, "ticket_ids": list(range(i % 20))} for i in range(rows)]}
    return {"period": {"name": "custom", "since": window["since"], "until": window["until"], "first_day": "2026-11-01",
                       "last_day": "2026-11-30", "timezone": "Europe/Paris"},
            "panels": [{"panel": "volume", "figures": figures, "tables": [table]}]}


def median_ms(render, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        render()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000, help="table rows of the panel (default 2000)")
    parser.add_argument("--runs", type=int, default=15, help="renders of each format (default 15)")
    args = parser.parse_args()
    from zoneinfo import ZoneInfo

    from ticket_service.reports.deflection import Presentation
    from ticket_service.reports.export import render_csv
    from ticket_service.reports.xlsx import render_xlsx

    result = panel_result(args.rows)
    p = Presentation("fr_FR", ZoneInfo("Europe/Paris"))
    csv_ms = median_ms(lambda: render_csv(result, p), args.runs)
    xlsx_ms = median_ms(lambda: render_xlsx(result, p), args.runs)
    size = len(render_xlsx(result, p))
    print("| format | rows | median ms | ratio to CSV |\n| --- | --- | --- | --- |")
    print(f"| CSV (baseline) | {args.rows} | {csv_ms:.1f} | 1.0 |")
    print(f"| XLSX ({size // 1024} KiB) | {args.rows} | {xlsx_ms:.1f} | {xlsx_ms / csv_ms:.1f} |")


if __name__ == "__main__":
    main()
