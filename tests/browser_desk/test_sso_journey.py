"""Chromium signs in through OpenID Connect: the sign-in page's button, the local provider (which really signs its
tokens), and back to the portal of the real `guichet serve`."""

from __future__ import annotations

import importlib.util
import sys

import pytest
from desk_browser import ROOT, shot
from servers import free_port, running_service

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CLAIRE = {"sub": "kc-claire-browser", "email": "claire.rousseau@ferrand-associes.fr", "email_verified": True,
          "name": "Claire Rousseau"}


def _oidc_peer():
    """Return the provider module of the SSO tests (tests/ticket_service/oidc_peer.py), loaded once."""
    if "oidc_peer" not in sys.modules:
        spec = importlib.util.spec_from_file_location("oidc_peer", ROOT / "tests" / "ticket_service" / "oidc_peer.py")
        sys.modules["oidc_peer"] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules["oidc_peer"]


@pytest.fixture(scope="module")
def sso_service(tmp_path_factory):
    """Serve the demo company with OpenID Connect to a local provider; passwords turned off."""
    peer = _oidc_peer().OidcPeer().start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"GUICHET_INSTANCE_PATH": str(tmp_path_factory.mktemp("sso-instance")),
           "GUICHET_SITE_DIR": str(tmp_path_factory.mktemp("sso-site")), "GUICHET_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
           "GUICHET_KB_REVISION": "browser-test", "GUICHET_PUBLIC_URL": base, "GUICHET_OIDC_ISSUER": peer.issuer,
           "GUICHET_OIDC_CLIENT_ID": peer.client_id, "GUICHET_OIDC_CLIENT_SECRET": peer.client_secret,
           "GUICHET_OIDC_PROVIDER_NAME": "Keycloak", "GUICHET_LOCAL_PASSWORDS": "false"}
    try:
        with running_service(env, cwd=ROOT, port=port, demo=True) as served:
            yield served, peer
    finally:
        peer.stop()


def test_an_employee_signs_in_with_the_company_account(chromium, sso_service):
    base, peer = sso_service
    peer.reset(CLAIRE)
    context = chromium.new_context(base_url=base, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto("/mes-demandes")  # anonymous: sent to the sign-in page, then back here
        assert page.get_by_label("Mot de passe").count() == 0  # LOCAL_PASSWORDS=false
        page.get_by_role("link", name="Se connecter avec Keycloak").click()
        page.wait_for_url(f"{base}/mes-demandes**")
        assert peer.authorize_requests[0]["code_challenge_method"] == "S256"
        assert "Claire Rousseau" in page.content()
        shot(page, "sso-signed-in")
    finally:
        context.close()
