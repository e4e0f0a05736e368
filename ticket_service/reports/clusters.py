"""Group similar texts (searches, tickets) by search.TextSimilarity: greedy star clusters above a similarity floor."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass

# A pair at or above these is « the same request » (0..1, search.TextSimilarity's word + character TF-IDF).
# Tickets: domain/duplicates.SIMILAR_FLOOR (the lexical scale; TicketSimilarity's fused score has its own),
# measured on 50 labelled desk pairs (tests/fixtures/similar_tickets.json: precision 0.95, recall 0.79 at 0.35). Searches are a few words and share them by chance (« copieur du 1er »,
# « depuis que j'ai changé »): among the 4,005 pairs of the 90 French KB queries (benchmarks/kb-queries-fr.jsonl),
# the best-scoring pair about different fiches is at 0.41, so 0.45 groups none of them. Searches reworded for the
# same fiche score 0.25 at most there: this floor groups people typing nearly the same words, the gap worth a fiche.
TICKET_FLOOR = 0.35
SEARCH_FLOOR = 0.45
MIN_SIZE = 2  # one text alone is not a cluster
MAX_TEXTS = 400  # the most recent texts clustered: each costs about 2.5 ms (scored against all), 400 about 1 s
CACHED = 32  # clusterings kept by their content's digest: a dashboard reloaded on unchanged data does not score again


@dataclass
class Cluster:
    """Keys grouped around the most central one (``keys[0]``), each with its similarity to it."""

    keys: list[str]
    scores: list[float]

    @property
    def size(self) -> int:
        """Return how many texts the cluster holds."""
        return len(self.keys)


def similarity_matrix(items: list[tuple[str, str]]) -> list[list[float]]:
    """Return every pair's similarity (search.TextSimilarity, public API only)."""
    from search import TextSimilarity

    index = TextSimilarity(items)
    return [[float(s) for s in index.scores(text)] for _, text in items]


def star_clusters(items: list[tuple[str, str]], floor: float, min_size: int = MIN_SIZE) -> list[Cluster]:
    """Group (key, text) pairs: the text with the most neighbours at or above ``floor`` takes them, then the next.

    Every member resembles its cluster's first key at ``floor`` or more; a text joins one cluster at most.
    Ties go to the earlier item. Clusters come largest first.
    """
    items = tuple((k, t) for k, t in items if t and t.strip())
    if len(items) < min_size:
        return []
    key = hashlib.sha256(json.dumps([items, floor, min_size], ensure_ascii=False).encode()).hexdigest()
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return [Cluster(list(c.keys), list(c.scores)) for c in _cache[key]]
    out = _star(list(items), floor, min_size)
    with _lock:
        _cache[key] = out
        while len(_cache) > CACHED:
            _cache.popitem(last=False)
    return [Cluster(list(c.keys), list(c.scores)) for c in out]


_cache: OrderedDict = OrderedDict()
_lock = threading.Lock()


def _star(items: list[tuple[str, str]], floor: float, min_size: int) -> list[Cluster]:
    matrix = similarity_matrix(items)
    free = set(range(len(items)))
    near = {i: {j for j in free if j != i and matrix[i][j] >= floor} for i in free}
    out = []
    while free:
        centre = max(sorted(free), key=lambda i: len(near[i] & free))
        members = sorted(near[centre] & free, key=lambda j: (-matrix[centre][j], j))
        if len(members) + 1 < min_size:
            break
        free -= {centre, *members}
        out.append(Cluster([items[centre][0]] + [items[j][0] for j in members],
                           [1.0] + [round(matrix[centre][j], 4) for j in members]))
    return sorted(out, key=lambda c: -c.size)
