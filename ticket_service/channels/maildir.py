"""A Maildir as a mail source: what waits in ``new/``, moved to ``cur/`` (seen) only after its import committed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator


class MaildirSource:
    """The mails of one Maildir folder (maildir(5)): new ones read oldest first, each marked after its commit."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not all((self.path / sub).is_dir() for sub in ("new", "cur", "tmp")):
            raise ValueError(f"{self.path} is not a Maildir (it needs new/, cur/ and tmp/)")

    @property
    def name(self) -> str:
        return f"maildir:{self.path.resolve()}"[-100:]

    def waiting(self) -> Iterator[tuple[str, bytes]]:
        """Yield (file name, bytes) of each mail still in new/ (names start with the delivery time)."""
        for entry in sorted((self.path / "new").iterdir()):
            if entry.is_file() and not entry.name.startswith("."):
                yield entry.name, entry.read_bytes()

    def mark(self, name: str) -> None:
        """Move a taken-in mail to cur/ flagged Seen (``:2,S``), one atomic rename: the next run skips it."""
        os.rename(self.path / "new" / name, self.path / "cur" / (name.split(":", 1)[0] + ":2,S"))
        fd = os.open(self.path / "cur", os.O_RDONLY)
        try:
            os.fsync(fd)  # the rename survives a power cut: without it the mail would only be read again (deduped)
        finally:
            os.close(fd)
