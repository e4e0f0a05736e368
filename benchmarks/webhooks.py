"""Webhook delivery figures: deliveries per second to a loopback receiver, and retries against a flaky one.

    .venv/bin/python benchmarks/webhooks.py [--events 300] [--fail-rate 0.3]

Events are written to the outbox as an action would; the job runner's two jobs (outbox.deliver, then
webhooks.deliver) owe and send them, signed, to a real HTTP receiver on 127.0.0.1 (allow-listed). The flaky run
drives time with a fixed clock (no sleeping through the backoff) and checks that no event is lost nor sent twice
under two webhook-ids.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]
sys.path += [str(ROOT / "tests" / "ticket_service")]  # after ROOT: that folder must not shadow the package

from webhook_peer import Answer, Receiver  # noqa: E402

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # a benchmark-only secret (the specification's test vector)


def make_app(folder: Path, receiver: Receiver):
    from ticket_service import create_app
    from ticket_service.settings import DEFAULTS
    from ticket_service.store.db import Database, upgrade

    os.environ["GUICHET_WEBHOOK_BENCH_SECRET"] = SECRET
    helpdesk = folder / "helpdesk.yml"
    helpdesk.write_text((ROOT / "helpdesk.yml").read_text(encoding="utf-8") + f"""
webhooks:
  allow: [127.0.0.1/32]
  endpoints:
    - name: bench
      url: {receiver.url('/hook')}
      events: ['*']
      secret_env: GUICHET_WEBHOOK_BENCH_SECRET
""", encoding="utf-8")
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    database = Database(url)
    upgrade(database)
    database.dispose()
    return create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "HELPDESK_CONFIG": str(helpdesk),
                       "JOB_INTERVALS": {name: 0 for name in DEFAULTS["JOB_INTERVALS"]}, "WEBHOOK_TIMEOUT_SECONDS": 1,
                       "WEBHOOK_MAX_ATTEMPTS": 12, "WEBHOOK_BATCH": 1000, "OUTBOX_BATCH": 1000,
                       "SITE_DIR": str(folder / "site"), "ATTACHMENTS_DIR": str(folder / "att")})


def add_events(app, count: int, at: datetime) -> None:
    from ticket_service.store.models import OutboxEvent

    with app.extensions["guichet_db"].write() as db:
        db.add_all(OutboxEvent(name="sla.breached", ticket_id=None, actor_id=None, at=at,
                               payload=json.dumps({"target": "resolution", "n": i})) for i in range(count))


def counts(app) -> dict[str, int]:
    from sqlalchemy import func, select

    from ticket_service.store.models import WebhookDelivery

    with app.extensions["guichet_db"].reader() as db:
        return dict(db.execute(select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)).all())


def main() -> None:
    import logging

    logging.getLogger("ticket_service.actions.webhooks").setLevel(logging.ERROR)  # each scripted failure logs
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--fail-rate", type=float, default=0.3)
    args = parser.parse_args()
    from ticket_service.domain.clock import FixedClock
    from ticket_service.jobs import run_now
    from ticket_service.store.models import OutboxDelivery, OutboxEvent, WebhookDelivery

    receiver = Receiver().start()
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp), receiver)
        clock = FixedClock(datetime.now(timezone.utc))
        # 1. a healthy receiver: deliveries per second, signing and HTTP included
        add_events(app, args.events, clock.now())
        started = time.perf_counter()
        run_now(app, "outbox.deliver", clock=clock)
        owed = time.perf_counter()
        result = run_now(app, "webhooks.deliver", clock=clock)
        sent = time.perf_counter()
        healthy = {"events": args.events, "delivered": result["delivered"], "owe_s": owed - started,
                   "send_s": sent - owed, "per_s": result["delivered"] / (sent - owed)}
        # 2. a flaky receiver: each try fails with probability fail_rate (500, 503 or a reset-like 502)
        with app.extensions["guichet_db"].write() as db:
            for table in (WebhookDelivery, OutboxDelivery, OutboxEvent):
                db.query(table).delete()
        rng = random.Random(16)
        receiver.reset()
        receiver.script = [Answer(rng.choice((500, 502, 503))) if rng.random() < args.fail_rate else Answer(204)
                           for _ in range(args.events * 4)]
        add_events(app, args.events, clock.now())
        run_now(app, "outbox.deliver", clock=clock)
        rounds = 0
        while counts(app).get("failed", 0) or counts(app).get("pending", 0) or rounds == 0:
            run_now(app, "webhooks.deliver", clock=clock)
            clock.at += timedelta(hours=7)  # past the longest backoff: every failed one is due again
            rounds += 1
        final = counts(app)
        tries = len(receiver.received)
        ids = {}
        for got in receiver.received:
            ids.setdefault(json.loads(got.body)["data"]["event_id"], set()).add(got.headers["webhook-id"])
        app.extensions["guichet_db"].dispose()
    receiver.stop()
    print("| run | events | delivered | tries | retries | dead | lost | rounds | deliveries/s |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| healthy receiver | {healthy['events']} | {healthy['delivered']} | {healthy['delivered']} | 0 | 0 | "
          f"{healthy['events'] - healthy['delivered']} | 1 | {healthy['per_s']:.0f} |")
    print(f"| flaky receiver ({args.fail_rate:.0%} fail) | {args.events} | {final.get('delivered', 0)} | {tries} | "
          f"{tries - args.events} | {final.get('dead', 0)} | {args.events - final.get('delivered', 0)} | {rounds} | — |")
    print(f"\nowe (outbox.deliver) {healthy['owe_s']:.2f} s, send {healthy['send_s']:.2f} s; "
          f"one webhook-id per event across retries: {all(len(v) == 1 for v in ids.values()) and len(ids) == args.events}")


if __name__ == "__main__":
    main()
