"""Fixed relevance check on our own KB (``kb/``): employee phrasings -> the article that solves it.

The phrasings are written the way employees type (paraphrases, no accents, typos, slang), not
copied from the articles' ``symptoms``. Each must bring its article into the top 3 *and* be
answered (no abstention); requests the KB does not cover must be abstained on. A drop in
ranking or a confidence that no longer carries over to a KB written with symptoms fails here.
"""

from pathlib import Path

import pytest

from search import build_index, load_articles

KB = Path(__file__).resolve().parent.parent / "kb"

IN_SCOPE = [
    ("le vpn me dit mot de passe incorrect", "vpn-forticlient-erreur-credentials"),
    ("code erreur -7200 forticlient", "vpn-forticlient-erreur-credentials"),
    ("mon pc rame depuis ce matin", "poste-lent"),
    ("mon ordi est tres lent et le ventilo fait du bruit", "poste-lent"),  # slang, no accent
    ("imprimante dit hors ligne", "imprimante-hors-connexion"),
    ("j'ai cliqué sur un lien bizarre dans un mail", "clic-lien-hameconnage"),
    ("outlook mac redemande le mot de passe", "outlook-mac-redemande-mot-de-passe"),
    ("teams on m'entend pas", "teams-micro-camera"),
    ("ma boite mail est pleine je peux plus envoyer", "boite-aux-lettres-pleine"),
    ("jai oublie mon mot de passe windows", "reinitialiser-mot-de-passe"),
    ("le second ecran ne s'allume pas quand je branche la station", "ecran-deuxieme-ecran-non-detecte"),
    ("onedrive ne synchronise plus, croix rouge sur les fichiers", "onedrive-ne-synchronise-plus"),
    ("bitlocker me demande une cle au demarage", "bitlocker-ecran-recuperation"),  # typo
    ("je voudrais mettre une reponse automatique pendant mes vacances", "message-absence"),
    ("sage tres lent en teletravail", "sage-lenteurs-vpn"),
    ("compte bloqué après plusieurs essais", "compte-verrouille"),  # the weakest confidence (≈ 0.61)
    ("le wifi du bureau refuse mon mot de passe", "wifi-ferrand-pro-connexion-refusee"),
]

OUT_OF_SCOPE = [
    "la machine à café fuit",
    "je veux changer de mutuelle",
    "réserver une place de parking",
    "le radiateur de mon bureau ne chauffe plus",
]


@pytest.fixture(scope="module")
def index():
    return build_index(load_articles(KB))  # default threshold: what employees get


def ranked_ids(index, text, k=3):
    """Return the first ``k`` article ids the index ranks for ``text``, answered or not."""
    return [index.docs[num].id for num in index.rank(text).order[:k]]


@pytest.mark.parametrize(("text", "expected"), IN_SCOPE)
def test_employee_phrasing_finds_its_article(index, text, expected):
    assert expected in ranked_ids(index, text)
    result = index.suggest(text)
    assert result.abstained or expected in [s.id for s in result.suggestions[:3]]


def test_nearly_every_employee_phrasing_is_answered(index):
    """15 of 17 are answered with the semantic confidence at its one threshold (search/fusion.THRESHOLD); the two
    it abstains on are the weakest (« mon ordi est tres lent et le ventilo… » 0.76, « compte bloqué après
    plusieurs essais » 0.72), where the lexical confidence answered all 17 but also 4 of 22 fresh out-of-scope
    requests (benchmarks/RESULTS.md)."""
    answered = [text for text, _ in IN_SCOPE if not index.suggest(text).abstained]
    assert len(answered) >= 15, sorted(set(t for t, _ in IN_SCOPE) - set(answered))


@pytest.mark.parametrize("text", ["le vpn ne marche pas", "le vpn bugue"])
def test_a_request_that_only_says_broken_gets_its_topic(index, text):
    categories = {d.id: d.category for d in index.docs}
    assert all(categories[i] == "reseau-vpn" for i in ranked_ids(index, text, 2))
    result = index.suggest(text)
    assert all(s.category == "reseau-vpn" for s in result.suggestions[:2])


@pytest.mark.parametrize("text", OUT_OF_SCOPE)
def test_request_outside_the_kb_is_abstained_on(index, text):
    result = index.suggest(text)
    assert result.abstained and not result.suggestions


def test_relevance_as_a_whole(index):
    """Top-1 on every phrasing today (even without BM25F one slips): a broad slide that keeps each
    case in the top 3 still fails. Loosen only with a benchmark run showing the change is better."""
    top1 = sum(ranked_ids(index, text, 1) == [expected] for text, expected in IN_SCOPE)
    assert top1 == len(IN_SCOPE)


def test_weak_tail_suggestions_are_not_shown(index):
    """« Règles du télétravail » matches « imprimante hors ligne » on « hors » only: not worth a line."""
    result = index.suggest("mon imprimante est hors ligne")
    ids = [s.id for s in result.suggestions]
    assert ids[0] == "imprimante-hors-connexion" and "regles-teletravail-vpn" not in ids
    assert all(s.score >= 0.4 * result.suggestions[0].score for s in result.suggestions)


def test_fresh_phrasings_as_a_whole(index):
    """The 90 French requests of benchmarks/kb-queries-fr.jsonl, written without running the index: floors a
    little under today's figures (hit@5 0.956, mrr@10 0.938, answered 0.38, false 0.045), so a real regression
    fails while one request moving does not. They live in benchmarks/kb-relevance-floors.json, which the KB
    workflow's `search compare` checks too. Raise them when the benchmark shows a lasting gain."""
    from search.compare import check_floors, read_floors
    from search.evaluate import evaluate, read_queries

    benchmarks = KB.parent / "benchmarks"
    report = evaluate(index, read_queries(benchmarks / "kb-queries-fr.jsonl"))
    assert report["in_scope"] == 68 and report["out_of_scope"] == 22
    floors = read_floors(benchmarks / "kb-relevance-floors.json")["kb-queries-fr.jsonl"]
    assert {"hit@5", "mrr@10", "answered_hit@5", "false_suggestion_rate_max"} <= set(floors)
    checks = check_floors("kb-queries-fr.jsonl", report, floors)
    assert not [c["message"] for c in checks if not c["ok"]]
