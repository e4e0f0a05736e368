"""Ticket-to-ticket similarity: the lexical score fused with e5's cosine, and exactly the lexical one without it."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from guichet_testing import ROOT
from search import TextSimilarity, TicketSimilarity
from search.embedding_cache import EmbeddingCache

# (a ticket, the same problem in other words, a near miss sharing its words) — from benchmarks/duplicate-pairs-*.jsonl
CASES = [
    ("VPN coupé toutes les 10 minutes\nEn télétravail le VPN se déconnecte sans arrêt, je dois relancer FortiClient.",
     "Je perds le réseau quand je travaille de chez moi\nDepuis la maison, toutes les dix minutes plus rien ne marche :"
     " les dossiers partagés et le CRM se figent puis reviennent.",
     "Accès VPN pour un nouveau prestataire\nMerci de créer un accès VPN pour le consultant qui arrive lundi."),
    ("Outlook ne se synchronise plus sur mon iPhone\nDepuis le changement de mot de passe, les mails n'arrivent plus"
     " sur le téléphone.",
     "Plus de messages sur mon portable\nL'application de messagerie de mon smartphone ne reçoit plus rien depuis"
     " lundi, sur le PC tout va bien.",
     "Commander un iPhone pour un commercial\nLe nouveau commercial de Lyon a besoin d'un téléphone professionnel."),
    ("Excel se ferme tout seul\nExcel se ferme dès que j'ouvre un classeur partagé, sans message.",
     "Le tableur plante sur les fichiers communs\nDès que j'ouvre un fichier du dossier de l'équipe, le programme"
     " disparaît d'un coup.",
     "Macro Excel bloquée\nExcel affiche « les macros ont été bloquées » sur le fichier de suivi des ventes."),
    ("Adobe Acrobat demande une licence\nAcrobat refuse d'ouvrir les PDF et réclame un abonnement.",
     "Les PDF ne s'ouvrent plus\nLe logiciel des PDF me propose un essai payant au lieu d'afficher mes documents.",
     "Licence Office expirée\nWord affiche « produit sans licence » et je ne peux plus modifier mes documents."),
]
ITEMS = [(f"T-{n}", text) for n, text in enumerate(text for case in CASES for text in case)]


class CountingEncoder:
    """The real encoder, counting the texts it is asked to embed."""

    def __init__(self, inner):
        self.inner, self.name, self.dim, self.embedded = inner, inner.name, inner.dim, 0

    def queries(self, texts):
        self.embedded += len(texts)
        return self.inner.queries(texts)

    def passages(self, texts):
        raise AssertionError("tickets are embedded as queries (symmetric similarity)")


def test_the_fused_score_ranks_a_paraphrase_above_a_lexical_near_miss(encoder, tmp_path):
    fused = TicketSimilarity(ITEMS, encoder=encoder, cache=EmbeddingCache(tmp_path))
    assert fused.fused
    keys = {text: key for key, text in ITEMS}
    for ticket, paraphrase, near_miss in CASES:
        scores = dict(zip(fused.keys, fused.scores(ticket)))
        lexical = dict(zip(fused.keys, fused.lexical.scores(ticket)))
        assert lexical[keys[near_miss]] > lexical[keys[paraphrase]], ticket  # words alone get it wrong
        assert scores[keys[paraphrase]] > scores[keys[near_miss]], ticket
        ranked = [key for key, _ in fused.most_similar(ticket, k=3) if key != keys[ticket]]
        assert ranked[0] == keys[paraphrase], ticket


def test_each_ticket_is_embedded_once_through_the_cache(encoder, tmp_path):
    counting = CountingEncoder(encoder)
    cache = EmbeddingCache(tmp_path)
    first = TicketSimilarity(ITEMS[:6], encoder=counting, cache=cache)
    assert counting.embedded == 6
    first.most_similar(ITEMS[6][1])  # a new ticket at intake: embedded once…
    assert counting.embedded == 7
    again = TicketSimilarity(ITEMS[:7], encoder=counting, cache=cache)  # …and never again, on either side
    again.most_similar(ITEMS[0][1])
    assert counting.embedded == 7
    assert np.allclose(again.cosines(ITEMS[0][1])[:6], first.cosines(ITEMS[0][1]), atol=1e-6)  # cached = fresh


def test_without_an_encoder_the_score_is_exactly_the_lexical_one():
    lexical_only = TicketSimilarity(ITEMS, encoder=None)
    assert not lexical_only.fused
    plain = TextSimilarity(ITEMS)
    for _, text in ITEMS[:4]:
        assert np.array_equal(lexical_only.scores(text), plain.scores(text))
        assert lexical_only.most_similar(text, k=4, min_score=0.1) == plain.most_similar(text, k=4, min_score=0.1)


def test_switched_off_the_desk_uses_the_lexical_score_and_its_floor():
    script = (
        "from search import TextSimilarity, TicketSimilarity\n"
        "from ticket_service.domain import duplicates\n"
        "items = [('1', 'VPN coupé à Grenoble'), ('2', 'Imprimante hors ligne'), ('3', 'Le VPN de Grenoble coupe')]\n"
        "sim = TicketSimilarity(items)\n"
        "assert not sim.fused\n"
        "assert sim.most_similar('VPN coupé', k=3) == TextSimilarity(items).most_similar('VPN coupé', k=3)\n"
        "assert duplicates.similar_floor() == duplicates.SIMILAR_FLOOR\n"
        "print('lexical', duplicates.similar_floor())\n"
    )
    env = {**os.environ, "GUICHET_ENCODER": "off"}
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "lexical 0.35"


class FakeEncoder:
    """A deterministic stand-in: what TicketSimilarity does around any encoder (bounds, failures) is under test."""

    name, dim = "fake", 4

    def __init__(self, fail=False):
        self.fail, self.embedded = fail, 0

    def queries(self, texts):
        if self.fail:
            raise RuntimeError("engine crashed")
        self.embedded += len(texts)
        return np.tile(np.array([1.0, 0, 0, 0], dtype=np.float32), (len(texts), 1))


def test_a_cold_backlog_answers_lexically_and_warms_the_cache_a_bounded_step_per_call(tmp_path):
    from search.similar import MAX_EMBED_PER_CALL

    items = [(str(n), f"ticket numéro {n} imprimante") for n in range(MAX_EMBED_PER_CALL * 2 + 10)]
    cache, encoder = EmbeddingCache(tmp_path), FakeEncoder()
    first = TicketSimilarity(items, encoder=encoder, cache=cache)
    assert not first.fused and encoder.embedded == MAX_EMBED_PER_CALL  # lexical now, cache warmed by one step
    assert first.scores("imprimante").tolist() == TextSimilarity(items).scores("imprimante").tolist()
    TicketSimilarity(items, encoder=encoder, cache=cache)
    third = TicketSimilarity(items, encoder=encoder, cache=cache)  # the last 10 fit in one call
    assert third.fused and encoder.embedded == len(items)


def test_a_failing_encoder_falls_back_to_the_lexical_score(tmp_path):
    similarity = TicketSimilarity(ITEMS, encoder=FakeEncoder(fail=True), cache=EmbeddingCache(tmp_path))
    assert not similarity.fused
    assert similarity.most_similar(CASES[0][0], k=3) == TextSimilarity(ITEMS).most_similar(CASES[0][0], k=3)
