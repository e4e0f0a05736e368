"""The desk's view of the knowledge base: the article picker (all articles) and suggestions (technicians' audience)."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from flask import current_app

from search import SearchError, load_articles

log = logging.getLogger(__name__)
_lock = threading.Lock()
RELOAD_AFTER = 60.0  # seconds: the KB changes by pull request, not by the minute


def catalogue() -> list:
    """Return every article of KB_DIR (technician-only ones included), sorted by category then title."""
    cache = current_app.extensions.setdefault("guichet.web_articles", {})
    now = time.monotonic()
    if cache.get("at") is None or now - cache["at"] > RELOAD_AFTER:
        with _lock:
            try:
                articles = load_articles(Path(current_app.config["KB_DIR"]))
            except (SearchError, OSError) as exc:  # a broken KB must not take the desk down
                log.warning("KB not loadable for the article picker: %s", exc)
                articles = cache.get("articles", [])
            cache.update(articles=sorted(articles, key=lambda a: (a.category, a.title)), at=now)
    return cache["articles"]


def article_ids() -> set[str]:
    return {a.id for a in catalogue()}


def site_url(article_id: str) -> str | None:
    """Return the article's site URL from the build manifest (None for internal or unbuilt ones)."""
    suggester = current_app.extensions.get("guichet.suggester")
    return suggester.manifest.url(article_id) if suggester is not None else None


def suggestions(text: str, k: int = 5) -> list[dict]:
    """Return articles for a ticket's text, technician-only ones included; empty when the index is missing."""
    suggester = current_app.extensions.get("guichet.suggester")
    if suggester is None or len(text.strip()) < 3:
        return []
    try:
        suggester.holder.reload_if_changed()
        result = suggester.holder.get().suggest(text[:2000], audience="technicians", k=k)
    except (SearchError, OSError) as exc:
        log.info("no suggestions for the desk: %s", exc)
        return []
    audience = {a.id: a.audience for a in catalogue()}
    return [{"id": s.id, "title": s.title, "score": round(s.score, 3), "url": site_url(s.id),
             "internal": audience.get(s.id) == "technicians"} for s in result.suggestions]


def standing(text: str, article_ids: list[str]) -> dict | None:
    """Return where employees get these articles for ``text`` today: best rank (1–10 or None) and whether shown.

    The review page shows it so that a technician sees which past requests would teach the index something.
    None when the index is not available.
    """
    suggester = current_app.extensions.get("guichet.suggester")
    if suggester is None:
        return None
    try:
        suggester.holder.reload_if_changed()
        index = suggester.holder.get()
        ranking = index.rank(text[:2000])
    except (SearchError, OSError):
        return None
    top = [index.docs[num].id for num, _, _ in ranking.top(10)]
    ranks = [top.index(a) + 1 for a in article_ids if a in top]
    shown = ranking.confidence >= index.threshold(text=text[:2000])
    return {"rank": min(ranks) if ranks else None, "shown": shown}
