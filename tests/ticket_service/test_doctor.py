"""``guichet doctor`` on a healthy install says all is well; on a broken one it names every problem, one line each."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mail_peer import Peer
from tshelpers import ROOT


def doctor(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ticket_service", "doctor"], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=180)


def install_env(tmp_path, site_project=None) -> dict:
    """The settings of an install kept in ``tmp_path`` (its own instance folder and SQLite database)."""
    instance = tmp_path / "instance"
    env = {"GUICHET_INSTANCE_PATH": str(instance), "GUICHET_DATABASE_URL": f"sqlite:///{instance / 'guichet.sqlite3'}"}
    if site_project is not None:
        build = site_project / "build"
        env.update(GUICHET_SITE_DIR=str(build / "site"), GUICHET_INDEX_DIR=str(build / "index"),
                   GUICHET_MANIFEST_PATH=str(build / "manifest.json"))
    env.pop("GUICHET_SECRET_KEY", None)
    return env


@pytest.fixture()
def smtp():
    peer = Peer().start()
    yield peer
    peer.stop()


def test_a_fresh_install_is_well(tmp_path, built_kb_site, smtp, monkeypatch):
    monkeypatch.delenv("GUICHET_SECRET_KEY", raising=False)
    env = install_env(tmp_path, built_kb_site)
    env.update(GUICHET_SMTP_HOST="127.0.0.1", GUICHET_SMTP_PORT=str(smtp.port), GUICHET_SMTP_SECURITY="none")
    (tmp_path / "instance").mkdir(mode=0o700)
    subprocess.run([sys.executable, "-m", "ticket_service", "db", "upgrade"], cwd=ROOT, env={**os.environ, **env},
                   check=True, capture_output=True, timeout=180)  # what `make run` does first (it writes the secret)
    result = doctor(env)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "All is well."
    assert {line.split()[1] for line in lines[:-1]} >= {"instance", "secret", "config", "database", "migrations",
                                                         "clock", "site", "index", "mail", "timezone"}
    assert not [line for line in lines if line.startswith("FAIL")]


def test_a_broken_install_names_each_problem(tmp_path, monkeypatch):
    monkeypatch.delenv("GUICHET_SECRET_KEY", raising=False)
    env = install_env(tmp_path)
    instance = tmp_path / "instance"
    instance.mkdir()
    instance.chmod(0o500)  # read-only for its owner: the service could not write its database or attachments
    try:
        result = doctor(env)
    finally:
        instance.chmod(0o700)
    assert result.returncode == 1, result.stdout + result.stderr
    failures = {line.split()[1]: line for line in result.stdout.splitlines() if line.startswith("FAIL")}
    assert "not writable" in failures["instance"]
    assert "no SECRET_KEY" in failures["secret"] and "GUICHET_SECRET_KEY" in failures["secret"]
    assert "guichet db upgrade" in failures["migrations"]
    assert not (instance / "secret_key").exists()  # the doctor lends itself a secret: it never writes one
