"""The app raises CPython's first collection threshold (GC_FIRST_THRESHOLD), so a request's short-lived objects die
young instead of piling into the oldest generation; 0 leaves Python's own."""

from __future__ import annotations

import gc

import pytest

from ticket_service import build_app
from tshelpers import app_config


@pytest.fixture
def threshold():
    kept = gc.get_threshold()
    yield
    gc.set_threshold(*kept)


@pytest.mark.parametrize("setting, first", [(None, 50_000), (120_000, 120_000), (0, 700)])
def test_the_app_sets_the_first_threshold_and_keeps_the_others(tmp_path, threshold, setting, first):
    gc.set_threshold(700, 10, 10)
    extra = {} if setting is None else {"GC_FIRST_THRESHOLD": setting}
    build_app(app_config("sqlite:///" + str(tmp_path / "db.sqlite3"), tmp_path, **extra))
    assert gc.get_threshold() == (first, 10, 10)
