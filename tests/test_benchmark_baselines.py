"""The benchmark's « e5 alone » baseline ranks as the index's semantic signal does (it once broke unseen)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
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
    assert [a for a, _ in ranked][0] == "outlook-demande-mot-de-passe"
    assert len(ranked) == 3 and all(isinstance(s, float) for _, s in ranked)
    assert [s for _, s in ranked] == sorted((s for _, s in ranked), reverse=True)
    index = build_index(articles, encoder=encoder, cache=cache, threshold=0.0)
    pooled, best = index.semantic.scores(index.query_vector(text))
    # the soft maximum, never under the best passage (the request engines may differ in the 5th decimal)
    assert ranked[0][1] == pytest.approx(float(np.max(pooled)), abs=1e-4)
    assert float(np.max(pooled)) >= float(np.max(best))
