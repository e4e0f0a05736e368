"""Crash-test fault points: a pause at a named point of a write path, inert unless ``GUICHET_FAULT_PAUSE`` names it.

The durability tests (reliability catalogue D-08) start ``guichet serve`` with ``GUICHET_FAULT_PAUSE=<point>``,
wait until a request reaches that point, and kill the server there with SIGKILL: the only reliable way to crash
between two given system calls. Points: ``attachment.before_rename``, ``attachment.before_commit``.
Nothing else reads these variables.
"""

from __future__ import annotations

import os
import time


def pause(point: str) -> None:
    """Sleep at ``point`` when ``GUICHET_FAULT_PAUSE`` names it (``GUICHET_FAULT_SECONDS``, default 30)."""
    if os.environ.get("GUICHET_FAULT_PAUSE") == point:
        time.sleep(float(os.environ.get("GUICHET_FAULT_SECONDS", "30")))
