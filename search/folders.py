"""Folders written whole or not at all: a temp folder beside the target, renamed into place once complete."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replaced_folder(directory: Path) -> Iterator[Path]:
    """Yield a temp folder beside ``directory``; on success it replaces ``directory``, on error it is removed.

    A reader sees the old folder or the new one, never half of one: the swap is two renames on one file system.
    """
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}-new-"))
    try:
        yield tmp
        old = None
        if directory.exists():
            old = directory.with_name(f".{directory.name}-old-{os.getpid()}-{time.time_ns()}")
            os.replace(directory, old)
        os.replace(tmp, directory)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
