"""Learning from resolutions: reviewed pairs only, extra evidence, persisted as JSON lines."""

import json

import pytest
from search_kb import write_kb

from search import Resolution, SearchError, build_index, load_articles, read_history, write_history

REQUEST = "la photocopieuse du 3e affiche bourrage papier"  # words no article uses


@pytest.fixture(scope="module")
def articles(tmp_path_factory):
    return load_articles(write_kb(tmp_path_factory.mktemp("kb")))


def test_reviewed_pair_becomes_evidence(articles):
    past = [Resolution("la photocopieuse du 3e affiche bourrage papier", ["imprimante-file-bloquee"], reviewed=True)]
    before = build_index(articles).suggest(REQUEST)
    after = build_index(articles, history=past).suggest(REQUEST)
    assert before.abstained
    assert not after.abstained and after.suggestions[0].id == "imprimante-file-bloquee"


def test_unreviewed_pair_is_ignored(articles):
    past = [Resolution("photocopieuse 3e étage bourrage papier", ["imprimante-file-bloquee"], reviewed=False)]
    assert build_index(articles, history=past).suggest(REQUEST).abstained


def test_history_never_changes_the_article_text(articles):
    past = [Resolution("photocopieuse bourrage", ["imprimante-file-bloquee"], reviewed=True)]
    plain, learned = build_index(articles), build_index(articles, history=past)
    assert plain.parts.vocabulary == learned.parts.vocabulary
    assert "photocopieus" not in learned.parts.columns


def test_pairs_of_deleted_articles_are_dropped(articles):
    past = [Resolution("photocopieuse bourrage", ["article-supprime"], reviewed=True)]
    assert build_index(articles, history=past).suggest(REQUEST).abstained


def test_unsolved_past_request_lowers_confidence(articles):
    text = "le vpn coupe quand je suis dans le train"
    past = [Resolution("le vpn coupe dans le train", [], reviewed=True)]
    plain = build_index(articles).suggest(text, audience="technicians")
    learned = build_index(articles, history=past).suggest(text, audience="technicians")
    assert learned.confidence < plain.confidence


def test_jsonl_round_trip_and_eval_format(tmp_path):
    pairs = [Resolution("imprimante hs", ["imprimante-file-bloquee"], True, "ticket:12"),
             Resolution("vpn", [], False)]
    write_history(tmp_path / "history.jsonl", pairs)
    assert read_history(tmp_path / "history.jsonl") == pairs
    line = {"id": "fr-1-h1", "query": "vpn coupe", "relevant": ["vpn-se-deconnecte"], "lang": "fr"}
    (tmp_path / "eval.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    [pair] = read_history(tmp_path / "eval.jsonl")
    assert pair.reviewed and pair.articles == ["vpn-se-deconnecte"] and pair.source == "eval:fr-1-h1"


def test_bad_history_line_names_the_line(tmp_path):
    (tmp_path / "h.jsonl").write_text('{"text": "ok", "articles": []}\nnot json\n', encoding="utf-8")
    with pytest.raises(SearchError, match=r"h.jsonl:2"):
        read_history(tmp_path / "h.jsonl")


def test_history_of_other_problems_does_not_move_unrelated_requests(articles):
    """Past tickets about printers must not pull a VPN or Outlook request towards printers."""
    past = [Resolution(text, ["imprimante-file-bloquee"], reviewed=True) for text in (
        "mon imprimante ne marche plus depuis ce matin",
        "plus rien ne sort de l'imprimante, ça bloque",
        "impossible d'imprimer, le document reste en attente",
    )]
    plain, learned = build_index(articles, threshold=0.0), build_index(articles, history=past, threshold=0.0)
    for text in ("le vpn coupe depuis ce matin", "outlook me redemande le mot de passe, ça bloque"):
        before, after = plain.suggest(text), learned.suggest(text)
        assert after.suggestions[0].id == before.suggestions[0].id
        assert after.confidence <= before.confidence + 1e-9


def test_history_field_lifts_the_solved_article_for_a_paraphrase(articles):
    past = [Resolution("la photocopieuse du 3e affiche bourrage papier", ["imprimante-file-bloquee"], reviewed=True),
            Resolution("bourrage papier sur la photocopieuse", ["imprimante-file-bloquee"], reviewed=True)]
    result = build_index(articles, history=past, threshold=0.0).suggest("photocopieuse en bourrage")
    assert result.suggestions[0].id == "imprimante-file-bloquee"
