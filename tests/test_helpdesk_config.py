"""One loader of helpdesk.yml: the KB check, the site build and the ticket service read the file through it."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

import search.kbconfig
from guichet_testing import ROOT
from kb_cases import write_kb
from search import ConfigError, load_helpdesk_config, load_kb_config
from search.cli import run_check
from ticket_service import create_app
from ticket_service.domain.policies import PolicyError, load_policies, policies_from

PROJECT = (ROOT / "helpdesk.yml").read_text(encoding="utf-8")


@pytest.fixture
def parses(monkeypatch):
    """Count the YAML parses of helpdesk.yml; any other YAML entry point fails the test."""
    calls = []
    real = search.kbconfig.load_yaml
    monkeypatch.setattr(search.kbconfig, "load_yaml", lambda text, **kw: calls.append(1) or real(text, **kw))
    for name in ("safe_load", "load", "full_load", "unsafe_load"):
        monkeypatch.setattr(yaml, name, lambda *a, _name=name, **kw: pytest.fail(f"yaml.{_name} called"))
    return calls


def test_the_service_and_the_kb_check_each_parse_the_file_once_through_search(tmp_path, parses):
    app = create_app({"HELPDESK_CONFIG": str(ROOT / "helpdesk.yml"), "SECRET_KEY": "x", "VERIFY_DATABASE": False,
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "TRANSLATIONS_BUILD_DIR": str(tmp_path / "mo")})
    assert len(parses) == 1
    app.extensions["guichet_db"].dispose()
    kb = write_kb(tmp_path / "kbproject", [])
    (tmp_path / "kbproject" / "helpdesk.yml").write_text(PROJECT, encoding="utf-8")
    assert run_check(kb, None) == 0 and len(parses) == 2


def test_policies_are_built_from_what_the_search_loader_returns():
    config = load_helpdesk_config(ROOT / "helpdesk.yml")
    policies = policies_from(config)
    assert policies == load_policies(ROOT / "helpdesk.yml")
    assert policies.categories == config.kb.categories == load_kb_config(ROOT / "helpdesk.yml").categories
    assert policies.organisation is config.organisation
    assert (config.organisation.name, config.organisation.timezone, config.organisation.locale) == (
        "Ferrand & Associés", "Europe/Paris", "fr_FR")


def broken(tmp_path, old: str, new: str):
    assert old in PROJECT
    path = tmp_path / "helpdesk.yml"
    path.write_text(PROJECT.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_broken_organisation_time_zone_stops_the_kb_check_and_the_service_with_the_key_and_the_fix(tmp_path):
    path = broken(tmp_path, "  timezone: Europe/Paris", "  timezone: Europe/Lutece")
    line = PROJECT.splitlines().index("  timezone: Europe/Paris") + 1  # the key's own line, not its section's
    with pytest.raises(ConfigError) as kb_error:
        load_kb_config(path)
    with pytest.raises(PolicyError) as service_error:
        load_policies(path)
    assert str(kb_error.value) == str(service_error.value)
    assert str(kb_error.value).startswith(f"{path}:{line}: `organisation.timezone` is 'Europe/Lutece'")
    assert "fix: use e.g. Europe/Paris." in str(kb_error.value)
    (tmp_path / "kb").mkdir()
    check = subprocess.run([sys.executable, "-m", "search", "check", str(tmp_path / "kb"), "--config", str(path)],
                           capture_output=True, text=True, timeout=60)
    assert check.returncode != 0 and "`organisation.timezone`" in check.stderr and "fix:" in check.stderr


def test_a_yaml_error_names_the_file_and_the_line_for_both(tmp_path):
    path = broken(tmp_path, "  locale: fr_FR\n", "  locale: fr_FR\n\tname: tab\n")
    line = PROJECT.splitlines().index("  locale: fr_FR") + 2
    with pytest.raises(ConfigError, match=rf"helpdesk.yml:{line}: invalid YAML: a tab character"):
        load_kb_config(path)
    with pytest.raises(PolicyError, match=rf"helpdesk.yml:{line}: invalid YAML: a tab character"):
        load_policies(path)


def test_a_duplicate_section_is_refused_rather_than_one_silently_winning(tmp_path):
    path = broken(tmp_path, "auto_close_business_days: 5\n", "auto_close_business_days: 5\nauto_close_business_days: 50\n")
    with pytest.raises(PolicyError, match="duplicate key 'auto_close_business_days'"):
        load_policies(path)


def test_a_kb_only_file_needs_no_organisation(tmp_path):
    kb = write_kb(tmp_path, [])
    config = load_helpdesk_config(kb.parent / "helpdesk.yml")
    assert (config.organisation.timezone, config.organisation.locale) == ("Europe/Paris", "fr_FR")


def test_a_missing_file_tells_which_setting_names_it(tmp_path):
    with pytest.raises(PolicyError, match="fix: set GUICHET_HELPDESK_CONFIG"):
        load_policies(tmp_path / "absent.yml")
