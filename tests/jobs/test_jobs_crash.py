"""Real `guichet worker` subprocesses killed with SIGKILL or stopped with SIGTERM: no job and no event is lost."""

from __future__ import annotations

import signal
from datetime import timedelta

import pytest
from sqlalchemy import select

from jobs_helpers import child_env, job_row, queue, start_worker
from ticket_service.domain.clock import SYSTEM_CLOCK, FixedClock
from ticket_service.domain.events import TicketCreated
from ticket_service.jobs import HANDLERS, Worker, deliverer
from ticket_service.store.models import OutboxDelivery, OutboxEvent
from ticket_service.store.outbox import append

pytestmark = pytest.mark.timeout(60)


def _stop(process):
    if process.poll() is None:
        process.kill()
    process.communicate(timeout=30)


def test_a_worker_killed_mid_job_leaves_it_to_another_worker_after_the_lease(app, db_url, tmp_path):
    database, now = app.extensions["guichet_db"], SYSTEM_CLOCK.now()
    job_id = queue(database, "test.block", {"tag": "kill-me"}, at=now - timedelta(seconds=1))
    child = start_worker(child_env(db_url, tmp_path), "--poll", "0.05")
    try:
        assert child.stdout.readline().strip() == "started kill-me", child.stderr.read()
        held = job_row(database, job_id)
        assert (held.status, held.attempts) == ("running", 1) and f":{child.pid}:" in held.locked_by
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        _stop(child)
    ran = []
    clock = FixedClock(SYSTEM_CLOCK.now())
    rescuer = Worker(app, clock=clock, handlers={"test.block": lambda *args: ran.append(args[2]["tag"])})
    assert rescuer.drain() == 0 and job_row(database, job_id).status == "running", "its lease still holds"
    clock.advance(seconds=float(app.config["JOB_LEASE_SECONDS"]) + 1)
    assert rescuer.drain() == 1 and ran == ["kill-me"]
    job = job_row(database, job_id)
    assert (job.status, job.attempts, job.locked_by) == ("done", 2, None)


def test_sigterm_lets_the_running_job_finish_then_the_worker_exits(app, db_url, tmp_path):
    database, release = app.extensions["guichet_db"], tmp_path / "release"
    job_id = queue(database, "test.block", {"tag": "graceful", "release": str(release)}, at=SYSTEM_CLOCK.now())
    child = start_worker(child_env(db_url, tmp_path), "--poll", "0.05")
    try:
        assert child.stdout.readline().strip() == "started graceful", child.stderr.read()
        child.send_signal(signal.SIGTERM)
        release.touch()  # the job ends only now, after the signal arrived
        out, err = child.communicate(timeout=30)
    finally:
        _stop(child)
    assert child.returncode == 0, err
    assert "Worker stopped." in err
    assert job_row(database, job_id).status == "done"


def _event(ticket_id: int) -> TicketCreated:
    return TicketCreated(ticket_id=ticket_id, actor_id=None, at=SYSTEM_CLOCK.now(), type="incident", priority="P3")


def test_outbox_delivers_every_committed_event_after_a_kill_9_and_never_a_rolled_back_one(app, db_url, tmp_path):
    database = app.extensions["guichet_db"]
    with database.write() as db:
        committed = [row.ticket_id for row in append(db, [_event(n) for n in (1, 2, 3)])]
    with pytest.raises(RuntimeError), database.write() as db:
        append(db, [_event(999)])
        db.flush()  # the row existed inside the transaction
        raise RuntimeError("the action failed: everything it wrote is rolled back")
    with database.write() as db:
        committed += [row.ticket_id for row in append(db, [_event(n) for n in (4, 5, 6, 7)])]
    with database.reader() as db:
        ids = dict(db.execute(select(OutboxEvent.ticket_id, OutboxEvent.id)).all())
    assert set(ids) == set(committed) == {1, 2, 3, 4, 5, 6, 7}, "a rolled-back action leaves no outbox row"
    queue(database, "outbox.deliver", at=SYSTEM_CLOCK.now())

    log, kill_at = tmp_path / "delivered-by-child.txt", ids[3]
    child = start_worker(child_env(db_url, tmp_path, JOBS_TEST_LOG=str(log), JOBS_TEST_KILL_AT=str(kill_at)), "--once")
    try:
        assert child.wait(timeout=30) == -signal.SIGKILL, child.stderr.read()
    finally:
        _stop(child)
    by_child = [int(line) for line in log.read_text().split()]
    assert by_child == [ids[1], ids[2], ids[3]], "delivered in event order until the kill"
    with database.reader() as db:
        marked = set(db.scalars(select(OutboxDelivery.event_id).where(OutboxDelivery.subscriber == "test.kill")))
    assert marked == {ids[1], ids[2]}, "killed after the call, before the mark"

    by_rescuer = []
    clock = FixedClock(SYSTEM_CLOCK.now() + timedelta(seconds=float(app.config["JOB_LEASE_SECONDS"]) + 1))
    handlers = {**HANDLERS, "outbox.deliver": deliverer({"test.kill": lambda message: by_rescuer.append(message)})}
    assert Worker(app, clock=clock, handlers=handlers).drain() == 1  # the killed worker's job, claimed again
    assert [m.id for m in by_rescuer] == [ids[n] for n in (3, 4, 5, 6, 7)], "the unmarked event is redelivered"
    assert {m.ticket_id for m in by_rescuer} | {1, 2} == set(committed) and 999 not in {m.ticket_id for m in by_rescuer}
    assert by_rescuer[0].name == "ticket.created" and by_rescuer[0].payload["priority"] == "P3"
    with database.reader() as db:
        statuses = db.execute(select(OutboxDelivery.event_id, OutboxDelivery.status)
                              .where(OutboxDelivery.subscriber == "test.kill")).all()  # not the built-in `mail` one
    assert sorted(statuses) == sorted((ids[n], "delivered") for n in committed)
    assert Worker(app, clock=clock, handlers=handlers).drain() == 0


def test_a_refused_event_is_retried_with_backoff_and_holds_back_the_later_ones(app):
    database, clock = app.extensions["guichet_db"], FixedClock(SYSTEM_CLOCK.now())
    with database.write() as db:
        rows = append(db, [_event(10), _event(11)])
        db.flush()
        first, second = rows[0].id, rows[1].id
    seen, refuse = [], [True]

    def picky(message):
        seen.append(message.id)
        if refuse[0] and message.id == first:
            raise ConnectionError("webhook down")

    handlers = {"outbox.deliver": deliverer({"picky": picky})}
    worker = Worker(app, clock=clock, handlers=handlers)
    queue(database, "outbox.deliver", at=clock.now())
    assert worker.drain() == 1 and seen == [first], "the second waits behind the first"
    with database.reader() as db:
        failed = db.get(OutboxDelivery, (first, "picky"))
    assert (failed.status, failed.attempts) == ("failed", 1) and "webhook down" in failed.last_error
    refuse[0] = False
    queue(database, "outbox.deliver", at=clock.now())
    assert worker.drain() == 1 and seen == [first], "not before its retry time"
    clock.at = failed.next_attempt_at
    queue(database, "outbox.deliver", at=clock.now())
    assert worker.drain() == 1 and seen == [first, first, second]
