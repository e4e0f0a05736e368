"""The job runner on real databases: exactly-once claims, leases, backoff and dead letters, schedules, auto-close."""

from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

from jobs_helpers import job_row, queue
from ticket_service.cli import main as guichet
from ticket_service.domain.clock import FixedClock
from ticket_service.jobs import HANDLERS, Worker, schedule
from ticket_service.jobs.backoff import retry_delay
from ticket_service.store.db import Database
from ticket_service.store.jobs import complete
from ticket_service.store.models import Job, JobSchedule, OutboxEvent, Ticket

pytestmark = pytest.mark.timeout(60)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def test_two_workers_run_200_due_jobs_exactly_once(app, db_url):
    database = app.extensions["guichet_db"]
    with database.write() as db:
        db.execute(text("CREATE TABLE IF NOT EXISTS job_test_runs (n INTEGER NOT NULL, worker VARCHAR(120) NOT NULL)"))
        db.execute(text("DELETE FROM job_test_runs"))
    for n in range(200):
        queue(database, "test.record", {"n": n}, at=T0 - timedelta(seconds=n % 7))

    def record(app_, database_, payload, clock):
        with database_.write() as db:  # the job's own work, committed by the job
            db.execute(text("INSERT INTO job_test_runs (n, worker) VALUES (:n, :w)"),
                       {"n": payload["n"], "w": threading.current_thread().name})

    start, ran, errors = threading.Barrier(2), {}, []

    def work(label):
        engine = Database(db_url)  # each worker its own engine and connections, like two processes
        try:
            worker = Worker(app, database=engine, clock=FixedClock(T0), handlers={"test.record": record})
            start.wait()
            ran[label] = worker.drain()
        except Exception as exc:  # surfaced below: an assertion in a thread would be lost
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=work, args=(label,), name=label) for label in ("w1", "w2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=50)
    assert not errors and not any(t.is_alive() for t in threads)
    with database.reader() as db:
        counts = dict(db.execute(text("SELECT n, COUNT(*) FROM job_test_runs GROUP BY n")).all())
        statuses = db.execute(select(Job.status, Job.attempts, func.count()).group_by(Job.status, Job.attempts)).all()
    assert len(counts) == 200 and set(counts.values()) == {1}, "a job ran twice or not at all"
    assert sorted(counts) == list(range(200))
    assert statuses == [("done", 1, 200)]
    assert ran["w1"] + ran["w2"] == 200


def test_failing_job_backs_off_then_goes_dead_and_guichet_jobs_retry_requeues_it(app, db_url, tmp_path):
    database, clock = app.extensions["guichet_db"], FixedClock(T0)
    calls = []

    def flaky(app_, database_, payload, clock_):
        calls.append(clock_.now())
        if len(calls) <= 3:
            raise RuntimeError(f"boom {len(calls)}")
        return "ok"

    worker = Worker(app, clock=clock, handlers={"test.flaky": flaky}, rng=random.Random(3))
    job_id = queue(database, "test.flaky", at=T0, max_attempts=3)
    base = float(app.config["JOB_BACKOFF_SECONDS"])
    for attempt in (1, 2):
        assert worker.drain() == 1
        job = job_row(database, job_id)
        delay = (job.run_at - clock.now()).total_seconds()
        ceiling = base * 2 ** (attempt - 1)
        assert (job.status, job.attempts) == ("queued", attempt)
        assert ceiling / 2 <= delay <= ceiling, "exponential backoff with jitter, from the clock"
        assert f"RuntimeError: boom {attempt}" in job.last_error and job.locked_by is None
        clock.at = job.run_at - timedelta(seconds=1)
        assert worker.drain() == 0, "not due before its retry time"
        clock.at = job.run_at
    assert worker.drain() == 1
    dead = job_row(database, job_id)
    assert (dead.status, dead.attempts, dead.finished_at) == ("dead", 3, clock.now())
    assert "boom 3" in dead.last_error
    clock.advance(days=30)
    assert worker.drain() == 0, "a dead job stays dead"

    env = {"GUICHET_DATABASE_URL": db_url, "GUICHET_SECRET_KEY": "x", "GUICHET_SITE_DIR": str(tmp_path / "site")}
    runner = CliRunner()
    listed = runner.invoke(guichet, ["jobs", "list", "--status", "dead"], env=env, catch_exceptions=False)
    assert listed.exit_code == 0 and str(job_id) in listed.output and "test.flaky" in listed.output
    assert "3/3" in listed.output and "boom 3" in listed.output
    assert "No jobs." in runner.invoke(guichet, ["jobs", "list", "--status", "running"], env=env).output
    retried = runner.invoke(guichet, ["jobs", "retry", str(job_id)], env=env, catch_exceptions=False)
    assert retried.exit_code == 0 and "queued again" in retried.output
    job = job_row(database, job_id)
    assert (job.status, job.attempts, job.finished_at) == ("queued", 0, None)
    again = runner.invoke(guichet, ["jobs", "retry", str(job_id)], env=env)
    assert again.exit_code == 1 and "No dead job" in again.output
    clock.at = job.run_at
    assert worker.drain() == 1 and job_row(database, job_id).status == "done"


def test_backoff_doubles_with_jitter_up_to_the_cap():
    low, high = type("R", (), {"random": lambda self: 0.0})(), type("R", (), {"random": lambda self: 1.0})()
    assert [retry_delay(n, 30, 3600, low) for n in (1, 2, 3)] == [15, 30, 60]
    assert [retry_delay(n, 30, 3600, high) for n in (1, 2, 3)] == [30, 60, 120]
    assert retry_delay(20, 30, 3600, high) == 3600 and retry_delay(20, 30, 3600, low) == 1800


def test_a_job_whose_lease_expired_is_claimed_again_and_dies_after_its_last_attempt(app):
    database, clock = app.extensions["guichet_db"], FixedClock(T0)
    lease = float(app.config["JOB_LEASE_SECONDS"])
    job_id = queue(database, "test.lost", at=T0, max_attempts=2)
    first, second = (Worker(app, clock=clock, handlers={}, name=name) for name in ("first", "second"))
    assert first.claim().attempt == 1  # then the worker "dies": nothing reports back
    clock.advance(seconds=lease - 1)
    assert second.claim() is None, "the lease still holds"
    clock.advance(seconds=1)
    claim = second.claim()
    assert (claim.id, claim.attempt) == (job_id, 2)
    assert job_row(database, job_id).locked_by == "second"
    with database.write() as db:
        assert not complete(db, job_id, "first", 1, clock.now()), "the first worker's late report is fenced off"
    assert job_row(database, job_id).status == "running"
    clock.advance(seconds=lease)
    assert second.claim() is None
    job = job_row(database, job_id)
    assert job.status == "dead" and "lease expired on attempt 2 of 2" in job.last_error


def test_a_living_worker_renews_the_lease_of_a_long_job(app):
    database, clock = app.extensions["guichet_db"], FixedClock(T0)
    job_id = queue(database, "test.long", at=T0)
    renewed = []

    def long_job(app_, database_, payload, clock_):
        clock_.advance(hours=1)  # an hour of work, far past the lease
        for _ in range(500):  # the heartbeat runs on its own thread: wait for it (bounded), never for time to pass
            if job_row(database_, job_id).locked_until == clock_.now() + timedelta(seconds=worker.lease):
                renewed.append(True)
                return
            threading.Event().wait(0.01)

    worker = Worker(app, clock=clock, handlers={"test.long": long_job})
    worker.lease = 0.06  # beats every 20 ms
    assert worker.drain() == 1 and renewed == [True]
    assert job_row(database, job_id).status == "done"


def test_schedule_ticks_enqueue_once_across_concurrent_workers_and_coalesce(app, db_url):
    database, clock = app.extensions["guichet_db"], FixedClock(T0)
    runs = []
    worker = Worker(app, clock=clock, handlers={"test.tick": lambda *args: runs.append(1)})
    worker.intervals = {"test.tick": 60}
    assert worker.run_once() is False, "a new schedule first runs one interval later"
    clock.advance(seconds=60)
    engines = [Database(db_url) for _ in range(2)]
    start, enqueued = threading.Barrier(2), []

    def tick(engine):
        start.wait()
        enqueued.append(schedule.tick(engine, clock, 5))

    threads = [threading.Thread(target=tick, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    for engine in engines:
        engine.dispose()
    assert sorted(enqueued) == [0, 1], "two workers at the same tick enqueue one job"
    clock.advance(seconds=60)
    assert schedule.tick(database, clock, 5) == 0, "the previous tick's job is still queued: not doubled"
    assert worker.drain() == 1 and runs == [1]
    clock.advance(hours=10)  # the workers were down: the missed ticks collapse into one
    assert worker.drain() == 1 and runs == [1, 1]
    with database.reader() as db:
        row = db.get(JobSchedule, "test.tick")
        assert db.scalar(select(func.count()).select_from(Job).where(Job.name == "test.tick")) == 2
    assert clock.now() < row.next_run_at <= clock.now() + timedelta(seconds=60)


def test_job_settings_are_checked_with_the_setting_named(app):
    from ticket_service.jobs import JobConfigError

    merged = schedule.intervals({"JOB_INTERVALS": {"outbox.deliver": 5}})
    assert merged["outbox.deliver"] == 5 and merged["tickets.auto_close"] == 600, "merged over the defaults"
    assert set(merged) <= set(HANDLERS)
    for wrong, message in (({"tickets.autoclose": 60}, "unknown job 'tickets.autoclose'"),
                           ({"tickets.auto_close": -1}, "JOB_INTERVALS['tickets.auto_close']"),
                           ([("tickets.auto_close", 60)], "JOB_INTERVALS must map")):
        with pytest.raises(JobConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
            schedule.intervals({"JOB_INTERVALS": wrong})
    with pytest.raises(JobConfigError, match="JOB_MODULES: cannot import 'no_such_module'"):
        schedule.load_modules({"JOB_MODULES": ["no_such_module"]})


def resolved_ticket(app, users, at: datetime) -> int:
    """Commit a ticket resolved at ``at`` (only what auto-close reads and writes); return its id."""
    with app.extensions["guichet_db"].write() as db:
        ticket = Ticket(requester_id=users["employee_a"], title="Imprimante", description="Plus de bourrage.",
                        type="incident", impact="low", urgency="medium", priority="P4", status="resolved", level="N1",
                        group=app.extensions["guichet_context"].policies.default_group, created_at=at, updated_at=at,
                        resolved_at=at, first_response_at=at, assignee_id=users["n1"], resolution_note="Bac nettoyé.",
                        paused_seconds=0.0)
        db.add(ticket)
        db.flush()
        return ticket.id


def test_auto_close_job_closes_a_stale_resolved_ticket(app, users):
    database = app.extensions["guichet_db"]
    stale, fresh = resolved_ticket(app, users, T0 - timedelta(days=30)), resolved_ticket(app, users, T0)
    clock = FixedClock(T0)
    worker = Worker(app, clock=clock)
    worker.intervals = {"tickets.auto_close": 600}
    assert worker.drain() == 0
    clock.advance(seconds=600)
    assert worker.drain() == 1
    with database.reader() as db:
        assert db.get(Ticket, stale).status == "closed"
        assert db.get(Ticket, fresh).status == "resolved", "resolved ten minutes ago: not stale yet"
        job = db.scalar(select(Job).where(Job.name == "tickets.auto_close"))
        closed_events = db.execute(select(OutboxEvent.name, OutboxEvent.ticket_id, OutboxEvent.at)).all()
    assert (job.status, job.attempts) == ("done", 1)
    assert ("ticket.closed", stale, clock.now()) in closed_events, "the action's events reach the outbox, at job time"
    assert all(ticket_id != fresh for _, ticket_id, _ in closed_events)


def test_housekeeping_commands_run_the_same_job_functions_at_once(app, users, db_url, tmp_path):
    stale = resolved_ticket(app, users, datetime.now(timezone.utc) - timedelta(days=60))
    env = {"GUICHET_DATABASE_URL": db_url, "GUICHET_SECRET_KEY": "x", "GUICHET_SITE_DIR": str(tmp_path / "site"),
           "GUICHET_INDEX_DIR": str(tmp_path / "index")}
    runner = CliRunner()
    closed = runner.invoke(guichet, ["tickets", "autoclose"], env=env, catch_exceptions=False)
    assert closed.exit_code == 0 and "tickets." in closed.output
    with app.extensions["guichet_db"].reader() as db:
        assert db.get(Ticket, stale).status == "closed"
        assert db.scalar(select(func.count()).select_from(Job)) == 0, "run at once, not queued"
    purged = runner.invoke(guichet, ["events", "purge", "--days", "0"], env=env, catch_exceptions=False)
    assert purged.exit_code == 0 and "older than 0 day(s)" in purged.output
    published = runner.invoke(guichet, ["learning", "publish"], env=env, catch_exceptions=False)
    assert published.exit_code == 0 and (tmp_path / "index" / "history.jsonl").is_file()
    queued = runner.invoke(guichet, ["jobs", "enqueue", "learning.publish"], env=env, catch_exceptions=False)
    assert queued.exit_code == 0 and "queued" in queued.output
    assert runner.invoke(guichet, ["jobs", "enqueue", "no.such"], env=env).exit_code == 1
