"""The benchmark's « e5 alone » baseline ranks as the index's semantic signal does (it once broke unseen)."""

from __future__ import annotations

import importlib.util

import numpy as np
from search_kb import write_kb

from guichet_testing import ROOT
from search import build_index, load_articles
from search.embedding_cache import EmbeddingCache


def e5_alone():
    """Return the benchmark's E5Alone class (benchmarks/ is a folder of scripts, not a package)."""
    spec = importlib.util.spec_from_file_location("guichet_bench_baselines", ROOT / "benchmarks" / "baselines.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.E5Alone


def test_e5_alone_ranks_by_the_pooled_passage_cosines_the_index_uses(encoder, tmp_path):
    articles = load_articles(write_kb(tmp_path))
    cache = EmbeddingCache(tmp_path / "cache")
    baseline = e5_alone()(articles, "fr", cache=cache)
    text = "outlook veut sans arrêt que je me reconnecte"  # no stem shared with its article's « identifiants »
    ranked = baseline.rank(text, k=3)
    assert ranked[0][0] == "outlook-demande-mot-de-passe"
    index = build_index(articles, encoder=encoder, cache=cache, threshold=0.0)
    pooled, best = index.semantic.scores(index.query_vector(text))  # the same process encoder: the same vectors
    order = np.argsort(-pooled, kind="stable")[:3]
    assert ranked == [(index.docs[i].id, float(pooled[i])) for i in order]
    assert any(pooled[i] - best[i] > 1e-6 for i in order)  # so the line above tells pooled from best passage
