"""Learning from resolutions: reviewed (request text -> article ids) pairs as extra evidence.

A pair never changes the article's own text. The index pools each article's reviewed requests
into a *history field* of its own (``signals.HistorySignal``), scored with BM25 next to the
article fields, and checks the nearest past request before lifting a confidence. Pairs with
no article (``relevant: []``: a past request no article solved) are kept too: a new request very
close to one of them lowers the confidence. Pairs are persisted beside the index artifact as JSON lines.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import SearchError

HISTORY_FILE = "history.jsonl"


@dataclass
class Resolution:
    """One past request and the article ids that solved it (empty: none did)."""

    text: str
    articles: list[str] = field(default_factory=list)
    reviewed: bool = False
    source: str = ""  # e.g. "deflection", "ticket:123", "eval:fr-dev-001-h1"
    lang: str | None = None

    def to_json(self) -> dict:
        """Return the pair as a JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict, *, reviewed: bool | None = None) -> Resolution:
        """Read a pair from our format or from an eval line ``{"id","query","relevant","lang"}``."""
        if "query" in data:  # eval/history file: lines were reviewed when the set was written
            return cls(text=str(data["query"]), articles=[str(a) for a in data.get("relevant", [])],
                       reviewed=True if reviewed is None else reviewed,
                       source=f"eval:{data.get('id', '')}", lang=data.get("lang"))
        if "text" not in data:
            raise SearchError("a history line needs 'text' (or 'query') and 'articles'")
        return cls(text=str(data["text"]), articles=[str(a) for a in data.get("articles", [])],
                   reviewed=bool(data.get("reviewed", False)) if reviewed is None else reviewed,
                   source=str(data.get("source", "")), lang=data.get("lang"))


def read_history(path: Path | str, *, reviewed: bool | None = None) -> list[Resolution]:
    """Read pairs from a JSON-lines file.

    Args:
        path: a ``history.jsonl`` or an eval history file.
        reviewed: force the reviewed state (``None`` keeps each line's own).

    Returns:
        The pairs, in file order.

    Raises:
        SearchError: when a line is not valid JSON or lacks the text.
    """
    pairs = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            pairs.append(Resolution.from_json(json.loads(line), reviewed=reviewed))
        except (ValueError, TypeError, AttributeError) as exc:
            raise SearchError(f"{path}:{number}: not a history line ({exc})") from None
    return pairs


def write_history(path: Path | str, pairs: list[Resolution]) -> None:
    """Write pairs as JSON lines, atomically (temp file then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".history-", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        for pair in pairs:
            out.write(json.dumps(pair.to_json(), ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def usable(pairs: list[Resolution], known_ids: set[str]) -> list[Resolution]:
    """Return the reviewed pairs, their unknown article ids dropped (a deleted article)."""
    kept = []
    for pair in pairs:
        if not pair.reviewed or not pair.text.strip():
            continue
        articles = [a for a in pair.articles if a in known_ids]
        if pair.articles and not articles:
            continue  # every article it pointed to is gone: no evidence left
        kept.append(Resolution(pair.text, articles, True, pair.source, pair.lang))
    return kept
