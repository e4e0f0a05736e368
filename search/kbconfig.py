"""Read ``helpdesk.yml`` once: the raw sections for the ticket service, and the shared ones validated here.

The KB check, the site build and the ticket service all go through :func:`load_helpdesk_config`, so the file is
parsed in one place (the strict YAML loader of the front matter) and ``organisation`` and ``categories`` mean the
same thing everywhere. The ticket service validates its own sections from ``HelpdeskConfig.data``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError
from .frontmatter import FrontMatterError, load_yaml
from .schema import ARTICLE_TYPES

DEFAULT_REVIEW_EVERY = 365
DEFAULT_TIMEZONE = "Europe/Paris"
DEFAULT_LOCALE = "fr_FR"
_LOCALE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")


@dataclass(frozen=True)
class KBConfig:
    """Categories (id → label), required sections per type, the review period, and the catalogue's item ids."""

    categories: dict[str, str] = field(default_factory=dict)
    required_sections: dict[str, tuple[str, ...]] = field(default_factory=dict)
    default_review_every: int = DEFAULT_REVIEW_EVERY
    # Ids of helpdesk.yml's `catalogue` (articles link to the form with ?item=<id>); None: not known, links unchecked.
    catalogue_items: frozenset[str] | None = None


@dataclass(frozen=True)
class Organisation:
    """Who the helpdesk serves: its name, the time zone dates are shown in, and its locale (``fr_FR``)."""

    name: str = ""
    timezone: str = DEFAULT_TIMEZONE
    locale: str = DEFAULT_LOCALE
    email_domain: str = ""  # the company's own addresses (people outside it are providers or guests)
    sites: tuple[str, ...] = ()  # its offices, offered when a person's site is set

    @property
    def zone(self) -> ZoneInfo:
        """Return the organisation's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def language(self) -> str:
        """Return the language part of the locale (``fr`` for ``fr_FR``)."""
        return self.locale.split("_")[0]


@dataclass(frozen=True)
class HelpdeskConfig:
    """One parsed ``helpdesk.yml``: every section as read, the line of each, and the validated shared ones."""

    path: Path
    data: dict
    key_lines: dict[str, int]
    organisation: Organisation
    kb: KBConfig

    def line(self, key: str) -> int:
        """Return the file line of a dotted ``key``, else of the nearest section holding it (1 when absent)."""
        return _line(self.key_lines, key)


def find_config(kb_dir: Path) -> Path | None:
    """Return the ``helpdesk.yml`` beside or above ``kb_dir``, if any."""
    for folder in [kb_dir.resolve(), *kb_dir.resolve().parents][:3]:
        candidate = folder / "helpdesk.yml"
        if candidate.is_file():
            return candidate
    return None


def load_helpdesk_config(path: Path | str) -> HelpdeskConfig:
    """Read ``helpdesk.yml`` and validate the sections the KB and the service share.

    Raises:
        ConfigError: naming the file, line and key, and the fix, when the file or a shared section is unusable.
    """
    path = Path(path)
    try:
        data, key_lines = load_yaml(path.read_text(encoding="utf-8"), nested=True)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except FrontMatterError as exc:
        raise ConfigError(f"{path}:{exc.line}: {exc.message}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: expected a mapping of settings (categories:, kb:, …)")
    check = _Checker(path, key_lines)
    return HelpdeskConfig(path, data, key_lines, check.organisation(data.get("organisation")), check.kb(data))


def load_kb_config(path: Path | str) -> KBConfig:
    """Load the KB settings of ``helpdesk.yml`` (the whole file is checked by :func:`load_helpdesk_config`).

    Raises:
        ConfigError: naming the file, line and key when the settings are unusable.
    """
    return load_helpdesk_config(path).kb


class _Checker:
    """Raise ConfigError as ``path:line: `key` problem — fix: …``."""

    def __init__(self, path: Path, key_lines: dict[str, int]):
        self.path = path
        self.key_lines = key_lines

    def fail(self, key: str, problem: str, fix: str):
        raise ConfigError(f"{self.path}:{_line(self.key_lines, key)}: `{key}` {problem} — fix: {fix}")

    def organisation(self, spec) -> Organisation:
        # Optional: a KB-only helpdesk.yml (tests, a foreign corpus) has none; the defaults are the company's.
        if spec is None:
            return Organisation()
        if not isinstance(spec, dict):
            self.fail("organisation", "must be a mapping", "write `organisation: {name: …, timezone: Europe/Paris, locale: fr_FR}`.")
        name = spec.get("name", "")
        if not isinstance(name, str):
            self.fail("organisation.name", f"is {name!r}", "write the organisation's name as text.")
        zone = spec.get("timezone", DEFAULT_TIMEZONE)
        if not valid_timezone(zone):
            self.fail("organisation.timezone", f"is {zone!r}, not an IANA time zone", "use e.g. Europe/Paris.")
        locale = spec.get("locale", DEFAULT_LOCALE)
        if not isinstance(locale, str) or not _LOCALE.match(locale):
            self.fail("organisation.locale", f"is {locale!r}", "write a language and country code, e.g. fr_FR.")
        domain = spec.get("email_domain", "")
        if not isinstance(domain, str) or (domain and not re.match(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$", domain)):
            self.fail("organisation.email_domain", f"is {domain!r}", "write the e-mail domain in lower case, e.g. exemple.fr.")
        sites = spec.get("sites", [])
        if not isinstance(sites, list) or not all(isinstance(x, str) and x.strip() for x in sites):
            self.fail("organisation.sites", f"is {sites!r}", "list the sites as text, e.g. `sites: [Lyon, Grenoble]`.")
        return Organisation(name.strip(), zone, locale, domain, tuple(x.strip() for x in sites))

    def kb(self, data: dict) -> KBConfig:
        categories = data.get("categories")
        fix = "list categories as `id: Label`."
        if not isinstance(categories, dict) or not categories:
            self.fail("categories", "must map category ids to labels", fix)
        for category, label in categories.items():
            if not isinstance(category, str) or not isinstance(label, str) or not label.strip():
                self.fail(f"categories.{category}", "must map an id to a non-empty label", fix)
        kb = data.get("kb") or {}
        if not isinstance(kb, dict):
            self.fail("kb", "must be a mapping", "write `kb: {required_sections: …, default_review_every: 365}`.")
        sections = kb.get("required_sections") or {}
        if not isinstance(sections, dict) or any(t not in ARTICLE_TYPES for t in sections):
            self.fail("kb.required_sections", "keys must be article types",
                      "use only these types as keys: " + ", ".join(ARTICLE_TYPES) + ".")
        for kind, names in sections.items():
            if names is not None and (not isinstance(names, list) or not all(isinstance(n, str) for n in names)):
                self.fail(f"kb.required_sections.{kind}", f"is {names!r}", "list the level-2 headings, e.g. [Symptômes, Cause].")
        review_every = kb.get("default_review_every", DEFAULT_REVIEW_EVERY)
        if isinstance(review_every, bool) or not isinstance(review_every, int) or review_every <= 0:
            self.fail("kb.default_review_every", f"is {review_every!r}", "set a positive number of days, e.g. 365.")
        return KBConfig(
            categories=dict(categories),
            required_sections={t: tuple(s or ()) for t, s in sections.items()},
            default_review_every=review_every,
            catalogue_items=self.catalogue_items(data.get("catalogue")),
        )

    def catalogue_items(self, catalogue) -> frozenset[str]:
        # Only the ids: the ticket service validates the items themselves (fields, approvers) at start-up.
        if catalogue is None:
            return frozenset()
        if not isinstance(catalogue, dict):
            self.fail("catalogue", "must map item ids to items", "write `catalogue: {<id>: {label: …, type: …}}`.")
        return frozenset(str(item) for item in catalogue)


def _line(key_lines: dict[str, int], key: str) -> int:
    """Return the line of a dotted key, or of its nearest parent that the file has (1 when none)."""
    parts = key.split(".")
    while parts:
        line = key_lines.get(".".join(parts))
        if line is not None:
            return line
        parts.pop()
    return 1


def valid_timezone(name) -> bool:
    """Return True when ``name`` is an IANA time zone this machine knows."""
    if not isinstance(name, str) or not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True
