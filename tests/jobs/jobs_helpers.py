"""Helpers for the job tests: queue a job, read one back, run a real `guichet worker` subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tshelpers import ROOT

from ticket_service.settings import DEFAULTS
from ticket_service.store.jobs import enqueue
from ticket_service.store.models import Job

HERE = Path(__file__).resolve().parent
# The built-in periodic jobs stay off unless a test turns one on: each test decides what is due.
NO_SCHEDULES = {name: 0 for name in DEFAULTS["JOB_INTERVALS"]}


def queue(database, name: str, payload: dict | None = None, *, at, max_attempts: int = 5) -> int:
    """Commit one job due at ``at``; return its id."""
    with database.write() as db:
        return enqueue(db, name, payload, run_at=at, max_attempts=max_attempts).id


def job_row(database, job_id: int) -> Job:
    with database.reader() as db:
        return db.get(Job, job_id)


def child_env(db_url: str, folder: Path, **extra: str) -> dict[str, str]:
    """Environment of a worker subprocess on the test database, with the test hooks loaded and no schedules."""
    return {**os.environ, "GUICHET_DATABASE_URL": db_url, "GUICHET_SECRET_KEY": "x",
            "GUICHET_SITE_DIR": str(folder / "site"), "GUICHET_INSTANCE_PATH": str(folder / "instance"),
            "GUICHET_JOB_MODULES": json.dumps(["jobs_child_hooks"]), "GUICHET_JOB_INTERVALS": json.dumps(NO_SCHEDULES),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
            "JOBS_TEST_CHILD": "1", **extra}


def start_worker(env: dict[str, str], *args: str) -> subprocess.Popen:
    """Start ``python -m ticket_service worker ARGS`` (stdout piped as text, one line per job start)."""
    return subprocess.Popen([sys.executable, "-m", "ticket_service", "worker", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
