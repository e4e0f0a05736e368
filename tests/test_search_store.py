"""Persistence: JSON + numpy artifact, version check, atomic swap in a running holder."""

import json
import zipfile

import pytest
from search_kb import write_kb

from search import (IndexHolder, IndexNotReady, Resolution, StaleIndex, build_index, load_articles,
                    load_index, load_or_build, save_index)


@pytest.fixture
def kb(tmp_path):
    return write_kb(tmp_path)


def test_round_trip_gives_the_same_answers(kb, tmp_path):
    index = build_index(load_articles(kb), history=[Resolution("imprimante hs", ["imprimante-file-bloquee"], True)])
    save_index(index, tmp_path / "ix")
    loaded = load_index(tmp_path / "ix")
    for text in ("outlook mot de passe", "vpn coupe", "erreur 0x8004010F", "imprimante hs"):
        a, b = index.suggest(text), loaded.suggest(text)
        assert [(s.id, s.score, s.snippet) for s in a.suggestions] == [
            (s.id, s.score, s.snippet) for s in b.suggestions]
        assert a.confidence == pytest.approx(b.confidence)
    assert len(loaded.all_history) == 1
    assert (loaded.parts.passages.counts != index.parts.passages.counts).nnz == 0
    assert list(loaded.parts.passages.starts) == list(index.parts.passages.starts)


def test_artifact_holds_no_pickle(kb, tmp_path):
    save_index(build_index(load_articles(kb)), tmp_path / "ix")
    names = sorted(p.name for p in (tmp_path / "ix").iterdir())
    assert names == ["arrays.npz", "docs.json", "history.jsonl", "manifest.json", "vocabulary.json"]
    with zipfile.ZipFile(tmp_path / "ix" / "arrays.npz") as npz:
        assert all(name.endswith(".npy") for name in npz.namelist())


def test_missing_artifact_raises_index_not_ready(tmp_path):
    with pytest.raises(IndexNotReady, match="python -m search build"):
        load_index(tmp_path / "nothing")


def test_stale_format_raises_and_load_or_build_rebuilds(kb, tmp_path):
    save_index(build_index(load_articles(kb)), tmp_path / "ix")
    manifest = tmp_path / "ix" / "manifest.json"
    data = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**data, "format": "guichet-suggest/0"}))
    with pytest.raises(StaleIndex):
        load_index(tmp_path / "ix")
    assert len(load_or_build(tmp_path / "ix", kb)) == 6
    assert load_index(tmp_path / "ix").suggest("le vpn se coupe").suggestions[0].id == "vpn-se-deconnecte"


def test_save_replaces_atomically_and_leaves_no_temp(kb, tmp_path):
    index = build_index(load_articles(kb))
    save_index(index, tmp_path / "ix")
    save_index(index, tmp_path / "ix")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ix", "kb"]


def test_holder_swaps_in_a_rebuilt_index(kb, tmp_path):
    save_index(build_index(load_articles(kb)), tmp_path / "ix")
    holder = IndexHolder(tmp_path / "ix")
    first = holder.get()
    assert holder.reload_if_changed() is False and holder.get() is first
    (kb / "reseau-vpn" / "wifi.md").write_text(
        "---\nid: wifi-invites\ntitle: Se connecter au wifi invités\n---\nDemandez le code wifi à l'accueil.\n",
        encoding="utf-8")
    save_index(build_index(load_articles(kb)), tmp_path / "ix")
    assert holder.reload_if_changed() is True
    assert holder.get() is not first and len(holder.get()) == 7
    assert first.suggest("le vpn se coupe").suggestions  # old readers keep a working index


def test_holder_keeps_old_index_when_artifact_breaks(kb, tmp_path):
    save_index(build_index(load_articles(kb)), tmp_path / "ix")
    holder = IndexHolder(tmp_path / "ix")
    first = holder.get()
    (tmp_path / "ix" / "manifest.json").write_text("{broken", encoding="utf-8")
    assert holder.reload_if_changed() is False
    assert holder.get() is first and holder.last_error is not None


def test_holder_without_artifact_raises(tmp_path):
    with pytest.raises(IndexNotReady):
        IndexHolder(tmp_path / "none").get()
