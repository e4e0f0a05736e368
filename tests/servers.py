"""Start the real service (``guichet serve``, waitress) on an ephemeral loopback port."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(env: dict, port: int, cwd: Path, *, threads: int = 8,
                 max_file_bytes: int | None = None) -> subprocess.Popen:
    """Run ``guichet serve`` (waitress) on ``port`` and return once it accepts connections (stderr is piped).

    ``max_file_bytes`` caps every file the server writes (RLIMIT_FSIZE, with SIGXFSZ ignored so that writes fail
    with EFBIG, as on a full disk).
    """
    def cap_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    process = subprocess.Popen([sys.executable, "-m", "ticket_service", "serve", "--port", str(port),
                                "--threads", str(threads)], cwd=cwd, env={**os.environ, **env},
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               preexec_fn=cap_files if max_file_bytes else None)
    deadline = time.monotonic() + 60  # a generous start-up wait, not a timing check: a loaded machine is slow
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode())
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("guichet serve did not start")


@contextlib.contextmanager
def running_service(env: dict[str, str], cwd: Path, timeout: float = 30.0, port: int | None = None,
                    demo: bool = False):
    """Migrate (and load the demo company), run ``guichet serve`` with ``env`` added; yield its base URL; stop it."""
    port = port or free_port()
    environment = {**os.environ, **env}
    for command in (["db", "upgrade"], *([["demo", "load"]] if demo else [])):
        subprocess.run([sys.executable, "-m", "ticket_service", *command], cwd=cwd, env=environment,
                       check=True, capture_output=True, timeout=120)
    process = subprocess.Popen(
        [sys.executable, "-m", "ticket_service", "serve", "--port", str(port)],
        cwd=cwd, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read() if process.poll() is not None else ""
                    raise RuntimeError(f"guichet serve did not start on {base}:\n{output}") from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()
