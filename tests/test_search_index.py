"""The suggestion index: ranking, audience filter, abstention, snippets, both BM25F backends."""

import numpy as np
import pytest
from search_kb import write_kb

from search import SearchError, build_index, load_articles
from search.bm25f import SparseBM25F, WhooshBM25F


@pytest.fixture(scope="module")
def articles(tmp_path_factory):
    return load_articles(write_kb(tmp_path_factory.mktemp("kb")))


@pytest.fixture(scope="module")
def index(articles):
    return build_index(articles, threshold=0.0)  # ranking tests: never abstain


@pytest.mark.parametrize(("text", "expected"), [
    ("outlook me redemande mon mot de passe en boucle", "outlook-demande-mot-de-passe"),
    ("erreur 0x8004010F", "outlook-erreur-0x8004010f"),
    ("mes mails reviennent, code 5.1.90", "limite-envoi-5-1-90"),
    ("le vpn coupe tout le temps", "vpn-se-deconnecte"),
    ("l'imprimente imprime plus", "imprimante-file-bloquee"),  # typo
])
def test_suggest_finds_the_article(index, text, expected):
    result = index.suggest(text)
    assert result.suggestions[0].id == expected
    assert 0 < result.suggestions[0].confidence <= 1


def test_employees_never_get_technician_articles(index):
    text = "les impressions restent en attente pour tout un étage, spouleur du serveur"
    employees = index.suggest(text, audience="employees", k=10)
    technicians = index.suggest(text, audience="technicians", k=10)
    assert "reinitialiser-spouleur-serveur" not in [s.id for s in employees.suggestions]
    assert technicians.suggestions[0].id == "reinitialiser-spouleur-serveur"


def test_abstains_when_nothing_fits(articles):
    index = build_index(articles)
    result = index.suggest("ma chaise de bureau est cassée")
    assert result.abstained and result.suggestions == []
    assert result.confidence < index.threshold("fr")


def test_one_threshold_for_every_language_set_by_the_confidence_in_force(articles):
    """No per-language constant: the semantic confidence has one threshold, the lexical fallback its own."""
    from search.analysis import LANGUAGES
    from search.fusion import LEXICAL_THRESHOLD, THRESHOLD

    index = build_index(articles)
    assert index.semantic is not None
    assert index.thresholds == {lang: THRESHOLD for lang in LANGUAGES}
    assert index.threshold(text="outlook keeps asking for my password") == THRESHOLD
    assert build_index(articles, encoder=None).thresholds == {lang: LEXICAL_THRESHOLD for lang in LANGUAGES}
    assert build_index(articles, threshold=0.3).thresholds == {lang: 0.3 for lang in LANGUAGES}


def test_the_request_language_decides_abstention(articles):
    index = build_index(articles)
    text = "Outlook me demande mon mot de passe en boucle"
    confidence = index.suggest(text).confidence
    index.thresholds = {"fr": confidence - 0.01, "en": confidence + 0.01}
    assert not index.suggest(text, lang="fr").abstained
    assert index.suggest(text, lang="en").abstained


def test_confident_answer_is_shown_by_default(articles):
    result = build_index(articles).suggest("Outlook me demande mon mot de passe en boucle")
    assert not result.abstained and result.suggestions[0].id == "outlook-demande-mot-de-passe"


def test_empty_request_abstains(index):
    assert index.suggest("   ").abstained


def test_language_is_detected_or_given(index):
    assert index.suggest("mon vpn coupe").lang == "fr"
    assert index.suggest("my vpn keeps dropping").lang == "en"
    assert index.suggest("vpn", lang="en").lang == "en"


def test_bad_arguments_raise(index):
    with pytest.raises(SearchError, match="audience"):
        index.suggest("vpn", audience="everyone")
    with pytest.raises(SearchError, match="language"):
        index.suggest("vpn", lang="de")


def test_snippet_is_plain_text_with_marked_words(index):
    top = index.suggest("la connexion vpn tombe").suggestions[0]
    assert "<" not in top.snippet
    words = [top.snippet[a:b].lower() for a, b in top.highlights]
    assert "vpn" in words and "tombe" in words


def test_whoosh_and_sparse_bm25f_agree(index):
    parts = index.parts
    sparse_scorer = SparseBM25F(parts.field_tf, parts.options.boosts, parts.options.b_values)
    whoosh_scorer = WhooshBM25F(parts.field_terms(), parts.options.boosts, parts.options.b_values)
    terms = index.query_terms("imprimante bloquée en attente outlook")
    cols = [parts.columns[t] for t in terms if t in parts.columns]
    np.testing.assert_allclose(sparse_scorer.scores(cols), whoosh_scorer.scores(terms), rtol=0.01)  # whoosh stores field lengths in one byte
    whoosh_scorer.close()


def test_small_kb_uses_whoosh_large_or_forced_uses_sparse(tmp_path):
    articles = load_articles(write_kb(tmp_path))
    assert build_index(articles).parts.whoosh is not None
    assert build_index(articles, backend="sparse").parts.whoosh is None


def test_ablations_still_answer(tmp_path):
    articles = load_articles(write_kb(tmp_path))
    for off in ("use_bm25", "use_word", "use_char", "use_passages"):
        index = build_index(articles, **{off: False})
        assert index.rank("erreur 0x8004010F").order[0] == index.ids["outlook-erreur-0x8004010f"]


def test_build_rejects_empty_and_duplicates(tmp_path):
    with pytest.raises(SearchError, match="no article"):
        build_index([])
    articles = load_articles(write_kb(tmp_path))
    with pytest.raises(SearchError, match="duplicate"):
        build_index(articles + articles[:1])
