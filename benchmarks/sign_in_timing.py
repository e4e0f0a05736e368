"""Benchmark: sign-in time for an unknown e-mail vs a known e-mail with a wrong password (should be equal).

Run: .venv/bin/python benchmarks/sign_in_timing.py [--attempts 40] [--door api|page|form] [--method scrypt]
      [--stored-method pbkdf2:sha256:600000 [--sign-in-first]]
The real app (test client, no network) on a temporary SQLite database holding the demo people, whose passwords are
hashed with --stored-method (default: --method, as `guichet demo load` does). Attempts alternate between the two
cases so that a drift of the machine's speed hits both; prints the median of each and their ratio. A stored method
other than --method stays distinguishable until the account's next successful sign-in renews its hash
(--sign-in-first does one before measuring).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KNOWN = "claire.rousseau@ferrand-associes.fr"
PASSWORD = "benchmark-password"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
DOORS = {"api": "/api/v1/session", "page": "/connexion", "form": "/aide/formulaire"}


def make_app(tmp: Path, method: str, stored_method: str):
    """Return the real app on a migrated SQLite database holding the demo people."""
    from ticket_service import create_app
    from ticket_service.demo.tickets import ensure_people
    from ticket_service.store.db import Database, upgrade

    url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    database = Database(url)
    upgrade(database)
    database.dispose()
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "PASSWORD_HASH_METHOD": method,
                      "SITE_DIR": str(tmp / "site"), "ATTACHMENTS_DIR": str(tmp / "att"),
                      "TRANSLATIONS_BUILD_DIR": str(tmp / "mo"), "COOKIE_SECURE": False,
                      "LOGIN_MAX_FAILURES": 10**9})  # the limiter would answer 429 long before the last attempt
    with app.app_context(), app.extensions["guichet_db"].write() as session:
        ensure_people(session, PASSWORD, stored_method)
    return app


def attempt(client, door: str, email: str) -> float:
    """Return the seconds one failed sign-in takes through ``door`` (the CSRF token is fetched untimed)."""
    if door == "api":
        token = client.get("/api/v1/session").get_json()["csrf_token"]
        kwargs = {"json": {"email": email, "password": "wrong-password"}, "headers": {"X-CSRFToken": token}}
    else:
        token = CSRF.search(client.get(DOORS[door]).text).group(1)
        data = {"email": email, "password": "wrong-password", "csrf_token": token}
        if door == "form":
            data.update(title="Écran noir", description="Le poste reste sur un écran noir.")
        kwargs = {"data": data}
    start = time.perf_counter()
    response = client.post(DOORS[door], **kwargs)
    elapsed = time.perf_counter() - start
    if response.status_code != 401:
        raise SystemExit(f"unexpected answer {response.status_code} for {email}: {response.text[:200]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=40, help="per case")
    parser.add_argument("--door", choices=sorted(DOORS), default="api")
    parser.add_argument("--method", default="scrypt", help="PASSWORD_HASH_METHOD (the production default: scrypt)")
    parser.add_argument("--stored-method", help="method of the stored hashes (default: --method)")
    parser.add_argument("--sign-in-first", action="store_true", help="sign the known account in once before measuring")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp), args.method, args.stored_method or args.method)
        client = app.test_client()
        if args.sign_in_first:
            token = client.get("/api/v1/session").get_json()["csrf_token"]
            client.post("/api/v1/session", json={"email": KNOWN, "password": PASSWORD}, headers={"X-CSRFToken": token})
            client = app.test_client()  # signed out again: a signed-in client would skip the no-JS form's sign-in
        unknown, known = [], []
        for n in range(args.attempts + 2):  # the first two of each warm up the app's caches, and are dropped
            u = attempt(client, args.door, f"nobody-{n}@ferrand-associes.fr")
            k = attempt(client, args.door, KNOWN)
            if n >= 2:
                unknown.append(u)
                known.append(k)
        app.extensions["guichet_db"].dispose()
    mu, mk = statistics.median(unknown), statistics.median(known)
    print(f"door {args.door}, method {args.method}, stored {args.stored_method or args.method}, "
          f"{args.attempts} attempts per case")
    print(f"{'case':>16} {'median ms':>10} {'min ms':>8} {'max ms':>8}")
    for name, values in (("unknown e-mail", unknown), ("known, wrong pw", known)):
        print(f"{name:>16} {statistics.median(values) * 1000:>10.1f} {min(values) * 1000:>8.1f} {max(values) * 1000:>8.1f}")
    print(f"ratio unknown/known: {mu / mk:.2f}")


if __name__ == "__main__":
    main()
