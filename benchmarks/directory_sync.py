"""Directory sync figures against a real slapd: reading N people, the first sync (creates), a sync with nothing to do.

    .venv/bin/python benchmarks/directory_sync.py [--people 2000] [--runs 3]

Baseline in the same run: Debian's ``ldapsearch`` reading the same entries and attributes (what reading the directory
costs at least, without Guichet). Prints medians in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]
sys.path += [str(ROOT / "tests" / "ticket_service")]  # after ROOT: that folder must not shadow the package

from ldap_peer import ADMIN_DN, ADMIN_PASSWORD, SUFFIX, Slapd, person  # noqa: E402

ENV = "GUICHET_BENCH_LDAP_PASSWORD"


def make_app(folder: Path, url: str):
    from ticket_service import create_app
    from ticket_service.settings import DEFAULTS
    from ticket_service.store.db import Database, upgrade

    os.environ[ENV] = ADMIN_PASSWORD
    helpdesk = folder / "helpdesk.yml"
    helpdesk.write_text((ROOT / "helpdesk.yml").read_text(encoding="utf-8") + f"""
directory:
  url: {url}
  tls: none
  bind_dn: {ADMIN_DN}
  password_env: {ENV}
  base_dn: ou=people,{SUFFIX}
  filter: (objectClass=inetOrgPerson)
  attributes: {{site: l}}
""", encoding="utf-8")
    db_url = f"sqlite:///{folder / 'bench.sqlite3'}"
    database = Database(db_url)
    upgrade(database)
    database.dispose()
    return create_app({"SECRET_KEY": "bench", "DATABASE_URL": db_url, "HELPDESK_CONFIG": str(helpdesk),
                       "JOB_INTERVALS": {name: 0 for name in DEFAULTS["JOB_INTERVALS"]},
                       "SITE_DIR": str(folder / "site"), "ATTACHMENTS_DIR": str(folder / "att")})


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from ticket_service.channels.directory import read_people
    from ticket_service.domain.clock import Clock
    from ticket_service.jobs.directory_sync import run_sync

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        slapd = Slapd(folder / "slapd").start()
        try:
            ldif = "\n".join(person(f"p{i:05d}", f"Personne {i}", department=f"Service {i % 40}", site=f"Site {i % 7}",
                                    manager=f"p{i // 10:05d}" if i >= 10 else None) for i in range(args.people))
            slapd.add(ldif)
            app = make_app(folder, slapd.url)
            config = app.extensions["guichet_context"].policies.directory
            database = app.extensions["guichet_db"]
            attributes = config.read_attributes()
            search = ["ldapsearch", "-x", "-LLL", "-H", slapd.url, "-D", ADMIN_DN, "-w", ADMIN_PASSWORD,
                      "-b", config.base_dn, "-E", f"pr={config.page_size}/noprompt", config.filter, *attributes]
            figures = {
                "ldapsearch (baseline)": [timed(lambda: subprocess.run(search, check=True, capture_output=True))
                                          for _ in range(args.runs)],
                "read_people (ldap3)": [timed(lambda: read_people(config)) for _ in range(args.runs)],
            }
            first = timed(lambda: run_sync(app, database, Clock()))
            figures["first sync (creates all)"] = [first]
            figures["sync, nothing to do"] = [timed(lambda: run_sync(app, database, Clock())) for _ in range(args.runs)]
            figures["dry run, nothing to do"] = [timed(lambda: run_sync(app, database, Clock(), dry_run=True))
                                                 for _ in range(args.runs)]
            database.dispose()
        finally:
            slapd.stop()
    base = statistics.median(figures["ldapsearch (baseline)"])
    print(f"directory sync, {args.people} people, median of {args.runs} runs (first sync: 1 run)")
    print(f"{'step':<28} {'median ms':>10} {'× baseline':>11}")
    for name, values in figures.items():
        median = statistics.median(values)
        print(f"{name:<28} {median:>10.0f} {median / base:>11.1f}")


if __name__ == "__main__":
    main()
