"""Fixtures of the page tests, for every module of this folder: the app on the demo company, signed-in clients, ids."""

from __future__ import annotations

from web_fixtures import app, browser, ids  # noqa: F401  (fixtures)
