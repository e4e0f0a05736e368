"""Read the parts of ``helpdesk.yml`` that the knowledge base depends on."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError
from .frontmatter import FrontMatterError, load_yaml
from .schema import ARTICLE_TYPES

DEFAULT_REVIEW_EVERY = 365


@dataclass(frozen=True)
class KBConfig:
    """Categories (id → label), required sections per type, and the review period."""

    categories: dict[str, str] = field(default_factory=dict)
    required_sections: dict[str, tuple[str, ...]] = field(default_factory=dict)
    default_review_every: int = DEFAULT_REVIEW_EVERY


def find_config(kb_dir: Path) -> Path | None:
    """Return the ``helpdesk.yml`` beside or above ``kb_dir``, if any."""
    for folder in [kb_dir.resolve(), *kb_dir.resolve().parents][:3]:
        candidate = folder / "helpdesk.yml"
        if candidate.is_file():
            return candidate
    return None


def load_kb_config(path: Path) -> KBConfig:
    """Load the KB settings of ``helpdesk.yml``.

    Raises:
        ConfigError: naming the file, line and key when the settings are unusable.
    """
    path = Path(path)
    try:
        data, key_lines = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except FrontMatterError as exc:
        raise ConfigError(f"{path}:{exc.line}: {exc.message}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: expected a mapping of settings")
    categories = data.get("categories")
    if not isinstance(categories, dict) or not categories:
        raise ConfigError(
            f"{path}:{key_lines.get('categories', 1)}: 'categories' must map category ids to labels"
        )
    kb = data.get("kb") or {}
    if not isinstance(kb, dict):
        raise ConfigError(f"{path}:{key_lines.get('kb', 1)}: 'kb' must be a mapping")
    sections = kb.get("required_sections") or {}
    if not isinstance(sections, dict) or any(t not in ARTICLE_TYPES for t in sections):
        raise ConfigError(
            f"{path}:{key_lines.get('kb', 1)}: 'kb.required_sections' keys must be article types: "
            + ", ".join(ARTICLE_TYPES)
        )
    review_every = kb.get("default_review_every", DEFAULT_REVIEW_EVERY)
    if isinstance(review_every, bool) or not isinstance(review_every, int) or review_every <= 0:
        raise ConfigError(f"{path}:{key_lines.get('kb', 1)}: 'kb.default_review_every' must be a positive number of days")
    return KBConfig(
        categories={str(k): str(v) for k, v in categories.items()},
        required_sections={t: tuple(s or ()) for t, s in sections.items()},
        default_review_every=review_every,
    )
