"""Triage from history: train, predict with a confidence, abstain, save and load without pickle."""

from __future__ import annotations

import json

import numpy as np
import pytest

from search import (
    SearchError, TriageNotReady, cross_validate, held_out_accuracy, load_triage, save_triage, ticket_text, train_triage,
)

TINY = [
    ("Imprimante bloquée", "L'imprimante du 2e étage affiche bourrage papier", "impression", "support-n1"),
    ("Impression impossible", "Mon document reste dans la file d'impression", "impression", "support-n1"),
    ("Toner vide", "L'imprimante couleur n'a plus de toner", "impression", "support-n1"),
    ("Scanner en panne", "Le scan vers mail de l'imprimante ne part plus", "impression", "support-n1"),
    ("VPN coupé", "Le VPN se déconnecte toutes les cinq minutes en télétravail", "reseau-vpn", "systemes-n2"),
    ("Pas de réseau", "Le wifi de la salle de réunion ne donne pas d'adresse", "reseau-vpn", "systemes-n2"),
    ("VPN refuse", "Le client VPN refuse mon certificat depuis ce matin", "reseau-vpn", "systemes-n2"),
    ("Internet lent", "Le réseau est très lent à l'agence de Lyon", "reseau-vpn", "systemes-n2"),
    ("Outlook plante", "Outlook se ferme au démarrage", "messagerie", "support-n1"),
    ("Boîte pleine", "Ma boîte mail est pleine, je ne reçois plus de messages", "messagerie", "support-n1"),
    ("Agenda partagé", "Je ne vois plus l'agenda partagé de l'équipe dans Outlook", "messagerie", "support-n1"),
    ("Mails non reçus", "Les courriels externes n'arrivent plus dans ma boîte", "messagerie", "support-n1"),
]


def examples():
    return [{"text": ticket_text(title, body), "category": cat, "group": group} for title, body, cat, group in TINY]


@pytest.fixture(scope="module")
def model():
    return train_triage(examples(), trained_at="2026-12-03T10:00:00+0000")


def test_predicts_the_category_and_group_of_new_wording(model):
    guess = model.predict(ticket_text("Bourrage", "l'imprimante est encore bloquée, bourrage papier"))
    assert guess["category"].label == "impression"
    assert guess["group"].label == "support-n1"
    vpn = model.predict(ticket_text("VPN", "impossible de me connecter au VPN depuis chez moi"))
    assert vpn["category"].label == "reseau-vpn" and vpn["group"].label == "systemes-n2"
    assert 0.0 < vpn["category"].confidence <= 1.0


def test_abstains_on_text_it_knows_nothing_of(model):
    guess = model.predict("zzz qqq")
    assert guess["category"].abstained and guess["group"].abstained


def test_abstains_below_its_confidence_floor(model):
    text = ticket_text("Imprimante", "l'imprimante est bloquée")
    confident = model.predict(text)["category"]
    assert not confident.abstained
    model.min_confidence = confident.confidence + 0.01
    try:
        assert model.predict(text)["category"].abstained
    finally:
        model.min_confidence = 0.5


def test_save_and_load_give_the_same_predictions_without_pickle(model, tmp_path):
    folder = save_triage(model, tmp_path / "triage")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["version"] == model.version and manifest["counts"]["examples"] == len(TINY)
    with np.load(folder / "arrays.npz", allow_pickle=False) as arrays:  # loads with pickle refused
        assert "category.coef" in arrays
    loaded = load_triage(folder)
    texts = [ticket_text("Outlook", "outlook ne démarre plus"), ticket_text("Réseau", "pas de wifi ce matin"), "zzz"]
    for before, after in zip(model.predict_many(texts), loaded.predict_many(texts)):
        assert before == after
    assert loaded.version == model.version and loaded.trained_at == "2026-12-03T10:00:00+0000"


def test_saving_again_replaces_the_model(model, tmp_path):
    save_triage(model, tmp_path / "triage")
    two = train_triage(examples()[:8])
    save_triage(two, tmp_path / "triage")
    assert load_triage(tmp_path / "triage").version == two.version != model.version
    assert [p.name for p in tmp_path.iterdir()] == ["triage"]  # no temp folder left behind


def test_a_missing_or_damaged_model_is_not_ready(tmp_path, model):
    with pytest.raises(TriageNotReady, match="guichet triage train"):
        load_triage(tmp_path / "none")
    folder = save_triage(model, tmp_path / "triage")
    (folder / "arrays.npz").write_bytes(b"broken")
    with pytest.raises(TriageNotReady, match="damaged"):
        load_triage(folder)


def test_a_target_with_one_label_gets_no_model():
    one_group = [dict(e, group="support-n1") for e in examples()]
    model = train_triage(one_group)
    assert set(model.targets) == {"category"}
    assert model.counts["group"] == {"support-n1": len(TINY)}
    assert "group" not in model.predict("imprimante")


def test_no_text_is_an_error():
    with pytest.raises(SearchError):
        train_triage([{"text": "  ", "category": "impression"}])


def test_cross_validation_holds_whole_clusters_out():
    data = examples()
    clusters = [e["category"] for e in data]  # each fold misses a whole category: it can never be right
    results = cross_validate(data, folds=3, clusters=clusters)
    accuracy, coverage = held_out_accuracy(results, "category")
    assert accuracy == 0.0 and coverage == 1.0
    random = cross_validate(data, folds=3)
    assert held_out_accuracy(random, "category")[0] > 0.5
    assert held_out_accuracy(random, "category", threshold=1.01)[1] == 0.0
