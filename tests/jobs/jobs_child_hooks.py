"""Job handlers and an outbox subscriber for the worker subprocesses of the tests (loaded through JOB_MODULES)."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

from ticket_service.jobs import job, subscriber

# Only a test's child worker may register these: the subscriber kills its process.
if os.environ.get("JOBS_TEST_CHILD") != "1":
    raise ImportError("jobs_child_hooks is for the test worker subprocesses only (JOBS_TEST_CHILD=1)")


@job("test.block")
def block(app, database, payload, clock):
    """Say the job started, then hold it: until the release file appears, or forever (the test kills us)."""
    print(f"started {payload['tag']}", flush=True)
    release = payload.get("release")
    if release is None:
        threading.Event().wait()
    while not Path(release).exists():
        time.sleep(0.02)
    return "released"


@subscriber("test.kill")
def record_then_die(message):
    """Log the event id durably; at the chosen event, die by SIGKILL before the delivery is marked."""
    with open(os.environ["JOBS_TEST_LOG"], "a", encoding="utf-8") as log:
        log.write(f"{message.id}\n")
        log.flush()
        os.fsync(log.fileno())
    if message.id == int(os.environ["JOBS_TEST_KILL_AT"]):
        sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)
