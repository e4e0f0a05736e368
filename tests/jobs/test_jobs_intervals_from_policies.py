"""Periodic jobs read their intervals from helpdesk.yml (``jobs.every``); a setting may still override them."""

from __future__ import annotations

import pytest
import yaml

from guichet_testing import ROOT
from ticket_service.domain.policies import PolicyError, load_policies
from ticket_service.jobs import schedule
from ticket_service.settings import DEFAULTS


def _policies(tmp_path, every):
    data = yaml.safe_load((ROOT / "helpdesk.yml").read_text(encoding="utf-8"))
    data["jobs"] = {"every": every}
    path = tmp_path / "helpdesk.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_policies(path)


def test_the_project_file_sets_every_periodic_job():
    policies = load_policies(ROOT / "helpdesk.yml")
    assert set(policies.job_intervals) == set(DEFAULTS["JOB_INTERVALS"])
    assert schedule.intervals({}, policies)["tickets.auto_close"] == policies.job_intervals["tickets.auto_close"]


def test_the_file_overrides_the_defaults_and_the_setting_overrides_the_file(tmp_path):
    policies = _policies(tmp_path, {"tickets.auto_close": 120, "events.purge": 0})
    merged = schedule.intervals({}, policies)
    assert merged["tickets.auto_close"] == 120 and merged["events.purge"] == 0
    assert merged["outbox.deliver"] == DEFAULTS["JOB_INTERVALS"]["outbox.deliver"]
    assert schedule.intervals({"JOB_INTERVALS": {"tickets.auto_close": 30}}, policies)["tickets.auto_close"] == 30


def test_a_wrong_interval_or_job_name_in_the_file_names_the_key_and_the_fix(tmp_path):
    with pytest.raises(PolicyError, match=r"`jobs\.every\.tickets\.auto_close` is -5 — fix: set a whole number"):
        _policies(tmp_path, {"tickets.auto_close": -5})
    with pytest.raises(schedule.JobConfigError, match=r"`jobs\.every\.ticket\.autoclose` is not a job — fix: use one of"):
        schedule.intervals({}, _policies(tmp_path, {"ticket.autoclose": 60}))
