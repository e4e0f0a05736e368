"""Webhook rules without a network: SSRF target validator (W-01), Standard Webhooks signing (W-04), helpdesk.yml."""

from __future__ import annotations

import ipaddress
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ticket_service.domain.policies import PolicyError, load_policies
from ticket_service.domain.webhook_targets import AllowList, TargetRefused, check_url, ip_literal, parse_allow
from ticket_service.notify.signing import SignatureError, headers, signature, verify
from tshelpers import ROOT

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the Standard Webhooks specification's test vector
OTHER = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3"  # a second valid secret (30 bytes)
BLOCKED_URLS = [
    "http://127.0.0.1/", "http://127.1.2.3:8080/x", "http://[::1]/", "http://0.0.0.0/", "http://169.254.169.254/latest",
    "http://10.0.0.7/", "http://172.16.5.4/", "http://172.31.255.255/", "http://192.168.1.1/", "http://100.64.0.1/",
    "http://[fd00::1]/", "http://[fe80::1]/", "http://[ff02::1]/", "http://224.0.0.1/", "http://localhost/",
    "http://LOCALHOST./", "http://api.localhost/", "http://2130706433/", "http://0177.0.0.1/", "http://0x7f.1/",
    "http://0x7f000001/", "http://017700000001/", "http://127.1/", "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/", "http://[::ffff:169.254.169.254]/", "http://[2002:7f00:1::]/", "http://[64:ff9b::a00:1]/",
    "http://[::]/", "file:///etc/passwd", "gopher://example.org/", "ftp://example.org/", "javascript:alert(1)",
    "http://user:pass@example.org/", "http://intranet/", "http://exa mple.org/", "", "http://0/",
    "http://127.0.0.1./", "http://127\u30020\u30020\u30021/", "http://\uff11\uff12\uff17.0.0.1/",  # IDNA maps these to 127.0.0.1
    "http://[fe80::1%25eth0]/", "http://[::127.0.0.1]/",
]
PRIVATE_NETWORKS = ["127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10",
                    "0.0.0.0/8", "224.0.0.0/4"]


@pytest.mark.parametrize("url", BLOCKED_URLS)
def test_W01_blocked_targets_are_refused_with_a_reason(url):
    with pytest.raises(TargetRefused) as refused:
        check_url(url)
    assert str(refused.value)


@pytest.mark.parametrize("url", ["https://hooks.slack.com/services/T0/B0/x", "https://93.184.216.34/hook",
                                 "http://[2606:4700::6810:84e5]:8443/a?b=c", "https://supervision.ferrand-associes.fr/"])
def test_W01_public_targets_pass(url):
    target = check_url(url)
    assert target.scheme in ("http", "https") and target.port > 0


def test_W01_the_numeric_forms_mean_what_a_resolver_reads():
    assert {str(ip_literal(h)) for h in ("2130706433", "0177.0.0.1", "0x7f.1", "127.0.0.1", "0x7f.0.0.1")} == {"127.0.0.1"}
    assert str(ip_literal("10.258")) == "10.0.1.2"
    assert ip_literal("example.org") is None and ip_literal("256.1.1.1") is None


def test_W01_the_allow_list_opens_only_what_it_names():
    allow = parse_allow(["127.0.0.1/32", "nagios.lan"])
    assert check_url("http://127.0.0.1:8080/hook", allow).port == 8080
    assert check_url("http://nagios.lan/", allow).host == "nagios.lan"
    for url in ("http://127.0.0.2/", "http://10.0.0.1/", "http://[::1]/", "http://localhost/"):
        with pytest.raises(TargetRefused):
            check_url(url, allow)
    with pytest.raises(ValueError, match="neither a network"):
        parse_allow(["10.0.0.0/8", "bad host!"])


def _forms(ip: ipaddress.IPv4Address, form: int) -> str:
    n = int(ip)
    octets = [int(o) for o in str(ip).split(".")]
    return [str(ip), str(n), hex(n), "0" + oct(n)[2:], ".".join("0" + oct(o)[2:] for o in octets),
            ".".join(hex(o) for o in octets), f"[::ffff:{ip}]", f"{octets[0]}.{n & 0xFFFFFF}"][form]


@settings(max_examples=300, deadline=None)
@given(network=st.sampled_from(PRIVATE_NETWORKS), offset=st.integers(min_value=0), form=st.integers(0, 7),
       scheme=st.sampled_from(["http", "https"]), port=st.integers(1, 65535))
def test_W01_hypothesis_any_spelling_of_a_private_address_is_refused(network, offset, form, scheme, port):
    net = ipaddress.ip_network(network)
    ip = net[offset % net.num_addresses]
    with pytest.raises(TargetRefused):
        check_url(f"{scheme}://{_forms(ip, form)}:{port}/hook")


@settings(max_examples=200, deadline=None)
@given(number=st.integers(min_value=0, max_value=2**32 - 1), form=st.integers(0, 7))
def test_W01_hypothesis_every_ipv4_spelling_is_judged_like_the_address_itself(number, form):
    ip = ipaddress.IPv4Address(number)
    public = ip.is_global and not ip.is_multicast and not ip in ipaddress.ip_network("100.64.0.0/10")
    try:
        check_url(f"http://{_forms(ip, form)}/")
        accepted = True
    except TargetRefused:
        accepted = False
    assert accepted == public, (str(ip), _forms(ip, form))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_W01_hypothesis_arbitrary_text_is_refused_or_a_checked_http_target(text):
    try:
        target = check_url(text)
    except TargetRefused:
        return
    assert target.scheme in ("http", "https")
    assert target.literal is None or not target.literal.is_private


# --- W-04: Standard Webhooks signing and verification -------------------------------------------------------

MSG_ID, STAMP, BODY = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
AT = datetime.fromtimestamp(STAMP, timezone.utc)


def test_W04_signature_matches_the_standard_webhooks_vector():
    from ticket_service.domain.webhooks import decode_secret

    assert signature(decode_secret(SECRET), MSG_ID, STAMP, BODY) == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_W04_the_verifier_accepts_a_good_message_and_rejects_tampering_replay_and_wrong_secret(caplog):
    from ticket_service.domain.webhooks import decode_secret

    caplog.set_level(logging.DEBUG)
    sent = headers([decode_secret(SECRET)], MSG_ID, STAMP, BODY)
    assert verify([SECRET], sent, BODY, AT + timedelta(minutes=4)) == MSG_ID
    with pytest.raises(SignatureError, match="tampered"):
        verify([SECRET], sent, BODY.replace(b"2", b"3"), AT)
    with pytest.raises(SignatureError, match="too old"):
        verify([SECRET], sent, BODY, AT + timedelta(minutes=5, seconds=1))
    with pytest.raises(SignatureError, match="too old or too new"):
        verify([SECRET], sent, BODY, AT - timedelta(minutes=6))
    with pytest.raises(SignatureError, match="wrong secret"):
        verify([OTHER], sent, BODY, AT)
    with pytest.raises(SignatureError, match="missing"):
        verify([SECRET], {k: v for k, v in sent.items() if k != "webhook-signature"}, BODY, AT)
    forged = dict(sent, **{"webhook-id": "msg_other"})  # the id is signed too
    with pytest.raises(SignatureError):
        verify([SECRET], forged, BODY, AT)
    assert SECRET.removeprefix("whsec_") not in caplog.text


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=200), position=st.integers(min_value=0), flip=st.integers(1, 255))
def test_W04_hypothesis_any_changed_byte_of_the_body_is_rejected(body, position, flip):
    from ticket_service.domain.webhooks import decode_secret

    sent = headers([decode_secret(SECRET)], MSG_ID, STAMP, body)
    assert verify([SECRET], sent, body, AT) == MSG_ID
    tampered = bytearray(body + b"!")
    tampered[position % len(tampered)] ^= flip
    with pytest.raises(SignatureError):
        verify([SECRET], sent, bytes(tampered), AT)


def test_W04_during_rotation_both_secrets_sign_and_either_verifies():
    from ticket_service.domain.webhooks import decode_secret, secrets_of

    keys = secrets_of(f"{OTHER} {SECRET}")
    sent = headers(keys, MSG_ID, STAMP, BODY)
    assert len(sent["webhook-signature"].split()) == 2
    assert verify([SECRET], sent, BODY, AT) == MSG_ID  # a receiver still on the old secret
    assert verify([OTHER], sent, BODY, AT) == MSG_ID  # one already on the new one
    assert verify([OTHER, SECRET], headers([decode_secret(SECRET)], MSG_ID, STAMP, BODY), BODY, AT) == MSG_ID


# --- helpdesk.yml `webhooks:` validated at start-up ----------------------------------------------------------

def _policies(tmp_path: Path, section: str):
    path = tmp_path / "helpdesk.yml"
    path.write_text((ROOT / "helpdesk.yml").read_text(encoding="utf-8") + "\n" + section, encoding="utf-8")
    return load_policies(path)


def test_a_valid_webhooks_section_is_read(tmp_path, monkeypatch):
    monkeypatch.setenv("GUICHET_WEBHOOK_SUPERVISION_SECRET", SECRET)
    policies = _policies(tmp_path, """webhooks:
  allow: [10.20.0.0/16]
  endpoints:
    - name: supervision
      url: http://10.20.1.5/guichet
      events: [ticket.created, sla.breached]
      secret_env: GUICHET_WEBHOOK_SUPERVISION_SECRET
    - name: equipe
      url: https://outlook.office.com/webhook/abc
      events: ['*']
      secret_env: GUICHET_WEBHOOK_SUPERVISION_SECRET
      format: teams
""")
    first, second = policies.webhooks.endpoints
    assert (first.name, first.events, first.format) == ("supervision", ("ticket.created", "sla.breached"), "standard")
    assert second.wants("ticket.rated") and not first.wants("ticket.rated")
    assert policies.webhooks.allow == AllowList((ipaddress.ip_network("10.20.0.0/16"),), ())


@pytest.mark.parametrize("entry, key, fix", [
    ("url: http://127.0.0.1/x", "webhooks.endpoints.0.url", "webhooks.allow"),
    ("url: http://0177.0.0.1/x", "webhooks.endpoints.0.url", "public http(s)"),
    ("url: https://ok.example.org/\n      events: [ticket.exploded]", "webhooks.endpoints.0.events", "ticket.created"),
    ("url: https://ok.example.org/\n      secret_env: GUICHET_UNSET_SECRET", "webhooks.endpoints.0.secret_env", "export"),
    ("url: https://ok.example.org/\n      format: discord", "webhooks.endpoints.0.format", "standard, teams, slack"),
])
def test_a_bad_webhooks_section_stops_start_up_naming_key_and_fix(tmp_path, monkeypatch, entry, key, fix):
    monkeypatch.setenv("GUICHET_WEBHOOK_S", SECRET)
    lines = {"url": None, "events": "events: [ticket.created]", "secret_env": "secret_env: GUICHET_WEBHOOK_S"}
    body = entry
    for name, line in lines.items():
        if line and f"{name}:" not in entry:
            body += f"\n      {line}"
    with pytest.raises(PolicyError) as error:
        _policies(tmp_path, f"webhooks:\n  endpoints:\n    - name: s\n      {body}\n")
    assert f"`{key}`" in str(error.value) and "fix:" in str(error.value) and fix in str(error.value)
    assert SECRET.removeprefix("whsec_") not in str(error.value)


def test_a_secret_that_is_not_whsec_base64_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("GUICHET_WEBHOOK_S", "hunter2")
    with pytest.raises(PolicyError, match="whsec_"):
        _policies(tmp_path, "webhooks:\n  - name: s\n    url: https://ok.example.org/\n    events: [ticket.created]\n"
                            "    secret_env: GUICHET_WEBHOOK_S\n")
