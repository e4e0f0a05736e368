"""``guichet serve --workers N``: gunicorn's pre-fork arbiter with gthread workers, each building its own app.

Why gunicorn: waitress is one process, so one Python interpreter (one GIL) serves every suggestion; gunicorn's
arbiter forks N workers, restarts a worker that dies or is killed, stops them gracefully, and its gthread worker keeps
the threaded model waitress gives us (each process serves ``--threads`` requests at once).

Jobs: each worker process runs the job loop in one thread, as ``guichet serve`` does in its single process. The
runner claims each job under a lease in the database, so N loops still run each job once, and a killed worker's job
is taken again by another after its lease. The arbiter runs none: it must stay a small, signal-driven process, and
a thread started before ``fork()`` would leave locks held in the children.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading

from gunicorn.app.base import BaseApplication

METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
ACCESS_LOG_FORMAT = '%(h)s pid=%(p)s "%(r)s" %(s)s %(b)s %(M)sms'  # %(p)s: which worker served the request

_worker_jobs: dict[str, object] = {}  # in a worker process: its job loop's stop event and thread
_made_dirs: list[str] = []  # the metrics folder this arbiter made, removed when it stops


def prepare_metrics_dir() -> str:
    """Give prometheus_client a fresh folder shared by the workers (kept when the operator chose one, emptied)."""
    folder = os.environ.get(METRICS_DIR_ENV)
    if folder:
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(folder):  # counters of a previous run would be added to this one's
            if name.endswith(".db"):
                os.remove(os.path.join(folder, name))
    else:
        folder = tempfile.mkdtemp(prefix="guichet-metrics-")
        os.environ[METRICS_DIR_ENV] = folder
        _made_dirs.append(folder)
    return folder


def _load_worker_app(run_jobs: bool):
    """Build this worker's app (its own database pool), warm its suggestions, start its job loop."""
    from ticket_service.cli.serve import _start_jobs, _warm_suggestions
    from ticket_service import build_app

    app = build_app()  # the arbiter already checked storage and schema before forking
    _warm_suggestions(app)
    if run_jobs:
        _worker_jobs["stop"], _worker_jobs["thread"] = _start_jobs(app)
    return app


def _worker_exit(server, worker) -> None:
    """Stop this worker's job loop after its current job (a killed worker's job waits for its lease instead)."""
    stop, thread = _worker_jobs.get("stop"), _worker_jobs.get("thread")
    if isinstance(stop, threading.Event) and isinstance(thread, threading.Thread):
        stop.set()
        thread.join(timeout=10)


def _child_exit(server, worker) -> None:
    """Tell prometheus_client that a worker is gone: its gauges leave the scrape, its counters stay summed."""
    if os.environ.get(METRICS_DIR_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


class GuichetGunicorn(BaseApplication):
    """gunicorn configured from ``guichet serve``'s options, not from a gunicorn.conf.py."""

    def __init__(self, options: dict, run_jobs: bool):
        self.options, self.run_jobs = options, run_jobs
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return _load_worker_app(self.run_jobs)  # called in each worker after the fork (no preload)


def run_gunicorn(*, host: str, port: int, workers: int, threads: int, graceful_timeout: int,
                 access_log: str | None, run_jobs: bool) -> None:
    """Run the arbiter until SIGTERM or SIGINT, then remove the metrics folder it made."""
    options = {
        "bind": f"{host}:{port}", "workers": workers, "worker_class": "gthread", "threads": threads,
        "graceful_timeout": graceful_timeout,
        # gunicorn's 2 s default closed idle keep-alive connections that clients then reused (RemoteDisconnected in
        # benchmarks/serving.py); nginx reaches us without keep-alive, direct clients keep theirs this long
        "keepalive": 75, "timeout": max(60, graceful_timeout), "preload_app": False,
        "proc_name": "guichet", "worker_exit": _worker_exit, "child_exit": _child_exit,
        "accesslog": access_log, "access_log_format": ACCESS_LOG_FORMAT, "errorlog": "-",
        "forwarded_allow_ips": "",  # gunicorn reads no X-Forwarded-*: werkzeug's ProxyFix (PROXY_COUNT) does
        "control_socket_disable": True,  # recent gunicorn opens ~/.gunicorn/gunicorn.ctl, one path for every instance
    }
    try:
        GuichetGunicorn(options, run_jobs).run()
    finally:
        for folder in _made_dirs:
            shutil.rmtree(folder, ignore_errors=True)
