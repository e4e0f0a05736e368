"""Start the real service (``guichet serve``, waitress) on an ephemeral loopback port."""

from __future__ import annotations

import contextlib
import os
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
