"""Passage-level BM25: sections of long articles, chunking, the best passage per article, and its effect on ranking."""

from __future__ import annotations

import numpy as np
import pytest

from search import build_index, load_articles
from search.analysis import analyze
from search.passages import MAX_TERMS, PassageSignal, article_passages, sections

FILLER = ("Cette procédure décrit la configuration générale du poste, les paramètres régionaux, la langue du clavier, "
          "les options d'affichage, la veille, les comptes locaux et les mises à jour planifiées du système. ")


def write(folder, name, title, body):
    (folder / f"{name}.md").write_text(f"---\ntitle: {title}\n---\n\n{body}\n", encoding="utf-8")


def test_sections_follow_headings_and_keep_the_intro():
    body = "intro\n\n## Symptômes\nA\n\n## Cause\nB\n### Détail\nC"
    assert sections(body, [3, 6, 8]) == ["intro\n", "## Symptômes\nA\n", "## Cause\nB", "### Détail\nC"]
    assert sections("pas de titre", []) == ["pas de titre"]


def test_long_sections_are_cut_into_chunks(tmp_path):
    words = " ".join(f"mot{n}" for n in range(2 * MAX_TERMS + 10))
    write(tmp_path, "long", "Long", f"## Une seule section\n{words}")
    (article,) = load_articles(tmp_path, lenient=True)
    passages = article_passages(article, "fr")
    assert [len(p) for p in passages] == [MAX_TERMS, MAX_TERMS, 12]  # heading words count in the first chunk


def test_best_passage_is_max_pooled_and_scaled_by_the_query_ceiling():
    columns = {"imprim": 0, "bourrag": 1, "papi": 2, "ecran": 3}
    # article 0: two passages, the second holds both query terms; article 1: one passage with one term
    signal = PassageSignal.build([[["ecran"], ["imprim", "bourrag"]], [["imprim", "papi", "papi"]]], columns)
    scores = signal.scores([0, 1])
    assert scores.shape == (2,) and 0 < scores[1] < scores[0] <= 1.0
    assert np.all(signal.scores([]) == 0)


def test_a_long_article_answers_with_the_section_that_matches(tmp_path):
    """The match sits in one section of a long article; a short one only mentions two of the words in passing."""
    long_body = "\n\n".join(f"## Partie {n}\n{FILLER * 3}" for n in range(8))
    long_body += "\n\n## Symptômes\nOutlook se fige à l'ouverture du calendrier partagé et affiche « Ne répond pas »."
    write(tmp_path, "outlook-calendrier-fige", "Problèmes connus du poste", long_body)
    write(tmp_path, "volets-outlook", "Les volets d'Outlook",
          "Dans Outlook, le calendrier s'affiche dans le volet de droite. " + FILLER)
    write(tmp_path, "autre", "Imprimante", "Bourrage papier dans l'imprimante du 2e étage. " + FILLER)
    articles = load_articles(tmp_path, lenient=True)
    query = "outlook se fige quand j'ouvre le calendrier partagé, ne répond pas"
    # the lexical passage signal alone: the semantic one embeds the first 8 passages only (semantic.MAX_PASSAGES)
    with_passages = build_index(articles, use_semantic=False)
    without = build_index(articles, use_passages=False, use_semantic=False)
    first = with_passages.docs[with_passages.rank(query).order[0]].id
    assert first == "outlook-calendrier-fige.md"
    assert without.rank(query).order[0] != with_passages.rank(query).order[0]  # the passage signal made the difference
    assert analyze("calendrier", "fr")[0] in with_passages.parts.columns


@pytest.mark.parametrize("backend", ["whoosh", "sparse"])
def test_passages_do_not_depend_on_the_bm25f_backend(tmp_path, backend):
    write(tmp_path, "a", "VPN", "## Symptômes\nLe VPN se coupe toutes les heures.")
    write(tmp_path, "b", "Wifi", "## Symptômes\nLe wifi invité demande un code.")
    index = build_index(load_articles(tmp_path, lenient=True), backend=backend)
    assert index.docs[index.rank("vpn coupe").order[0]].id == "a.md"
