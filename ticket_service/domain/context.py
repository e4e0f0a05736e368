"""The helpdesk context a request works with: validated policies, the business calendar, the KB revision."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ticket_service.domain.calendar import BusinessCalendar
from ticket_service.domain.policies import Policies, load_policies

ARTICLE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass
class Context:
    """Policies and derived helpers, built once at start-up."""

    policies: Policies
    calendar: BusinessCalendar
    kb_dir: Path
    site_dir: Path
    configured_revision: str | None = None

    @cached_property
    def kb_revision(self) -> str | None:
        """Return the KB revision of the running build: configured, from the built site, or from git."""
        if self.configured_revision:
            return self.configured_revision
        stamp = self.site_dir / "kb-revision.txt"
        if stamp.is_file():
            return stamp.read_text(encoding="utf-8").strip()[:64] or None
        try:
            result = subprocess.run(["git", "-C", str(self.kb_dir), "rev-parse", "--short=12", "HEAD"],
                                    capture_output=True, text=True, timeout=5, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return result.stdout.strip() or None if result.returncode == 0 else None

