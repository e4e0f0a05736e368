"""Helpers of the browser tests: the service environment, a technician's HTTP client, screenshots."""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path

from guichet_testing import CHROMIUM_ARGS  # noqa: F401  (re-exported for the benchmark)
from servers import running_service

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
DEMO_PASSWORD = "demo-navigateur-2026"


def service_env(built: Path, instance: Path) -> dict[str, str]:
    """GUICHET_* variables for a service on the built site, its index and manifest, with a fast password hash."""
    return {"GUICHET_SITE_DIR": str(built / "build" / "site"), "GUICHET_INDEX_DIR": str(built / "build" / "index"),
            "GUICHET_MANIFEST_PATH": str(built / "build" / "manifest.json"), "GUICHET_INSTANCE_PATH": str(instance),
            "GUICHET_COOKIE_SECURE": "false",  # plain HTTP on loopback
            "GUICHET_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "GUICHET_DEMO_PASSWORD": DEMO_PASSWORD,
            "GUICHET_BANNER_CACHE_SECONDS": "1"}


class Staff:
    """A technician's JSON client over real HTTP (session cookie + CSRF), for checking what the browser did."""

    def __init__(self, base: str, email: str = "julie.martin@ferrand-associes.fr"):
        import http.cookiejar

        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.csrf = self.call("GET", "/api/v1/session")["csrf_token"]
        self.csrf = self.call("POST", "/api/v1/session", {"email": email, "password": DEMO_PASSWORD})["csrf_token"]

    def call(self, method: str, path: str, body: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Content-Type": "application/json", "X-CSRFToken": getattr(self, "csrf", "")})
        with self.opener.open(request, timeout=10) as response:
            return json.loads(response.read() or b"null")

    def figures(self) -> dict:
        return {f["key"]: f["value"] for f in self.call("GET", "/api/v1/metrics/deflection")["figures"]}


def shot(page, name: str) -> None:
    """Save a full-page screenshot under artifacts/screenshots/ (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def site_for_port(site: Path, destination: Path, port: int) -> Path:
    """Copy the built site with its sitemap pointing at our port: Material's instant navigation matches the port."""
    target = destination / "site"
    shutil.copytree(site, target)
    sitemap = target / "sitemap.xml"
    sitemap.write_text(sitemap.read_text(encoding="utf-8").replace("http://127.0.0.1:8000/", f"http://127.0.0.1:{port}/"),
                       encoding="utf-8")
    return target


def serving(env: dict[str, str], port: int, timeout: float = 30.0, demo: bool = False):
    """Run `guichet serve` on a chosen loopback port (the site's sitemap names it); yield the base URL."""
    return running_service(env, ROOT, timeout=timeout, port=port, demo=demo)
