"""``GET /api/v1/suggest``: articles that may solve what the employee is typing."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from flask import Blueprint, Flask, current_app, jsonify, request, session

from search import IndexHolder, SearchError

from ticket_service.auth.rate_limit import TokenBuckets
from ticket_service.domain.kb_manifest import KBManifest
from ticket_service.http import prometheus
from ticket_service.http.api.common import doc
from ticket_service.http.errors import ApiError
from ticket_service.http.validation import Field, read_query

bp = Blueprint("suggest", __name__, url_prefix="/api/v1")

MIN_QUERY_LENGTH = 3
MAX_QUERY_LENGTH = 200
MAX_RESULTS = 10


class Suggester:
    """The live index (swapped atomically when the artifact changes) and the KB manifest it links to."""

    def __init__(self, index_dir: Path, manifest: KBManifest, kb_dir: Path | None = None):
        self.holder = IndexHolder(index_dir, kb_dir)
        self.manifest = manifest

    def suggest(self, text: str, *, lang: str | None, audience: str, k: int) -> dict:
        """Return the JSON-ready answer for ``text``."""
        self.holder.reload_if_changed()
        result = self.holder.get().suggest(text, lang=lang, audience=audience, k=k)
        return {
            "lang": result.lang,
            "abstained": result.abstained,
            "confidence": round(result.confidence, 4),
            "suggestions": [
                {
                    "id": s.id,
                    "title": s.title,
                    "url": self.manifest.url(s.id),
                    "category": s.category,
                    "snippet": s.snippet,
                    "highlights": [list(span) for span in s.highlights],
                    "score": round(s.score, 4),
                    "confidence": round(s.confidence, 4),
                }
                for s in result.suggestions
            ],
        }


def init_app(app: Flask) -> None:
    """Attach the suggester and its rate limiter, and register the endpoint."""
    app.extensions["guichet.suggester"] = Suggester(Path(app.config["INDEX_DIR"]), app.extensions["guichet_context"].kb,
                                                    Path(app.config["KB_DIR"]))
    app.extensions["guichet.suggest_limiter"] = TokenBuckets(float(app.config["SUGGEST_PER_SECOND"]),
                                                             float(app.config["SUGGEST_BURST"]))
    app.register_blueprint(bp)


def check_rate() -> None:
    """Refuse (429) a client asking faster than anyone types (L-02).

    A person is known by the signed session cookie (no database read on this hot path) or the API token; an
    anonymous visitor by the address, with a bucket ten times larger since a company often sits behind one NAT.
    """
    if session.get("uid") is not None:
        key, scale = f"p:{session['uid']}", 1.0
    elif request.headers.get("Authorization", "").startswith("Bearer "):
        key, scale = "t:" + hashlib.sha256(request.headers["Authorization"].encode()).hexdigest()[:20], 1.0
    else:
        key, scale = f"ip:{request.remote_addr}", 10.0
    wait = current_app.extensions["guichet.suggest_limiter"].take(key, scale)
    if wait is not None:
        raise ApiError(429, "too_many_requests", "Trop de recherches d'un coup : réessayez dans un instant.",
                       headers={"Retry-After": str(wait)})


SUGGEST_QUERY = {
    "q": Field("str", max_len=MAX_QUERY_LENGTH, description="What the employee is typing."),
    "lang": Field("enum", choices=("fr", "en"), description="Language of the text (default: detected)."),
    "k": Field("int", minimum=1, maximum=MAX_RESULTS, description="Most suggestions returned (default 5)."),
}


@bp.get("/suggest")
@doc("Employee articles that may solve the typed text: ranked, with the matching passage as plain text and "
     "highlight offsets; an empty list when the index abstains (nothing good enough).", query=SUGGEST_QUERY,
     responses={200: "suggestions or abstention", 429: "too_many_requests (Retry-After)", 503: "index_not_ready"})
def suggest():
    """Suggest up to ``k`` employee articles for ``q``; an empty list when the index abstains."""
    check_rate()
    args = read_query(SUGGEST_QUERY)
    text = " ".join(args.get("q", "").split())
    lang, k = args.get("lang"), args.get("k", 5)
    if len(text) < MIN_QUERY_LENGTH:
        answer = {"lang": lang or "fr", "abstained": True, "confidence": 0.0, "suggestions": []}
        prometheus.observe_suggestion(None, True, reason="too_short")
    else:
        started = time.perf_counter()  # a duration for /metrics, not a business time: the domain clock is not for it
        try:
            # Employees' suggestions only: technician-only articles never leave the desk.
            answer = current_app.extensions["guichet.suggester"].suggest(text, lang=lang, audience="employees", k=k)
        except SearchError:
            raise ApiError(503, "index_not_ready", "Les suggestions sont momentanément indisponibles.",
                           headers={"Retry-After": "30"}) from None
        prometheus.observe_suggestion(time.perf_counter() - started, answer["abstained"])
    return jsonify(query=text, **answer)
