"""The helpdesk context a request works with: validated policies, the business calendar, what the KB holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ticket_service.domain.calendar import BusinessCalendar
from ticket_service.domain.clock import SYSTEM_CLOCK, Clock
from ticket_service.domain.kb_manifest import KBManifest
from ticket_service.domain.policies import Policies


@dataclass
class Context:
    """Policies and derived helpers, built once at start-up; the KB side follows the site build without a restart."""

    policies: Policies
    calendar: BusinessCalendar
    kb_dir: Path
    manifest_path: Path | None = None
    configured_revision: str | None = None
    clock: Clock = SYSTEM_CLOCK  # every action asks it the time; tests give a FixedClock
    triage_dir: Path | None = None  # the triage model's folder (TRIAGE_DIR); None: no suggestions
    kb: KBManifest = field(init=False, repr=False)

    def __post_init__(self):
        self.kb = KBManifest(self.manifest_path, self.kb_dir)

    @property
    def kb_revision(self) -> str | None:
        """Return the KB revision resolutions record: KB_REVISION if set, else the build manifest's, else None."""
        return self.configured_revision or self.kb.current().revision

    def article_exists(self, article_id: str) -> bool:
        """Return True when the site build's manifest (or, without a build, kb/) holds this article id."""
        return article_id in self.kb.current().audiences

    def article_audience(self, article_id: str) -> str | None:
        """Return ``employees`` or ``technicians`` for a known article, None for an unknown one."""
        return self.kb.current().audiences.get(article_id)
