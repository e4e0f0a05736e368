"""Crash-test fault points: a pause at a named point of a write path, inert unless ``GUICHET_FAULT_PAUSE`` names it.

The durability tests (reliability catalogue D-08) start ``guichet serve`` with ``GUICHET_FAULT_PAUSE=<point>``,
wait until a request reaches that point, and kill the server there with SIGKILL: the only reliable way to crash
between two given system calls. Points: ``attachment.before_rename``, ``attachment.before_commit``.
``crash`` kills the process itself at a point (``GUICHET_FAULT_CRASH``), the ``GUICHET_FAULT_CRASH_AT``-th time it
is reached: the mail-in crash test (E-01) dies between a mail's commit and its mark, ``mail_in.before_mark``, or
between the ticket's commit and the mail's record, ``mail_in.after_create``; the mail-out crash test (D-07) dies
between a sent mail and its delivery's mark, ``mail.after_send``.
Nothing else reads these variables.
"""

from __future__ import annotations

import os
import signal
import time

_reached: dict[str, int] = {}


def pause(point: str) -> None:
    """Sleep at ``point`` when ``GUICHET_FAULT_PAUSE`` names it (``GUICHET_FAULT_SECONDS``, default 30)."""
    if os.environ.get("GUICHET_FAULT_PAUSE") == point:
        time.sleep(float(os.environ.get("GUICHET_FAULT_SECONDS", "30")))


def crash(point: str) -> None:
    """SIGKILL this process at ``point`` when ``GUICHET_FAULT_CRASH`` names it (at its N-th arrival, default 1)."""
    if os.environ.get("GUICHET_FAULT_CRASH") == point:
        _reached[point] = _reached.get(point, 0) + 1
        if _reached[point] >= int(os.environ.get("GUICHET_FAULT_CRASH_AT", "1")):
            os.kill(os.getpid(), signal.SIGKILL)
