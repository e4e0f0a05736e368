"""Mail preferences: a person switches off an optional mail from « Préférences de courriel » (a form with CSRF) and
no longer receives it; the essential mails always go, and asking to switch one off is refused."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from test_mail_audience import received
from test_mail_out import app, deliver, empty_outbox, peer  # noqa: F401  (fixtures: one app, one SMTP peer)
from ticket_service.domain import mail_audience
from ticket_service.domain.clock import FixedClock
from ticket_service.domain.errors import DomainError
from tshelpers import ROLES, Browser, new_ticket


def resolve_and_close(api, role: str) -> int:
    employee, tech = api(role), api("n1")
    ticket = new_ticket(employee)
    tech.post(f"/api/v1/tickets/{ticket['id']}/transitions", json={"to": "resolved", "note": "Câble changé.",
                                                                    "kb_gap": True})
    employee.post(f"/api/v1/tickets/{ticket['id']}/transitions", json={"to": "closed"})
    return ticket["id"]


def test_an_optional_mail_switched_off_is_not_sent_and_the_essential_ones_still_are(app, api, peer):
    person = Browser(app, "employee_b")
    page = person.get("/mes-demandes/preferences")
    assert page.status_code == 200 and 'value="closed" checked' in page.text
    assert "Réponse du support" in page.text.split('id="essential-mails"')[1]  # listed as always sent
    assert person.client.post("/mes-demandes/preferences", data={"wanted": "major_incident_opened"}).status_code == 400
    assert 'value="closed" checked' in person.get("/mes-demandes/preferences").text  # no CSRF token: nothing saved
    saved = person.submit("/mes-demandes/preferences", {"wanted": ["major_incident_opened", "major_incident_resolved"]})
    assert saved.status_code == 303
    assert 'value="closed" checked' not in person.get("/mes-demandes/preferences").text
    resolve_and_close(api, "employee_b")
    resolve_and_close(api, "employee_a")  # another person's choice is theirs alone
    deliver(app, FixedClock(datetime.now(timezone.utc)))
    assert set(received(peer, "closed")) == {ROLES["employee_a"]}
    assert ROLES["employee_b"] in received(peer, "resolved") and ROLES["employee_b"] in received(peer, "acknowledgement")
    person.submit("/mes-demandes/preferences", {"wanted": list(mail_audience.OPTIONAL)})  # back on
    peer.received.clear()
    resolve_and_close(api, "employee_b")
    deliver(app, FixedClock(datetime.now(timezone.utc)))
    assert set(received(peer, "closed")) == {ROLES["employee_b"]}


@pytest.mark.parametrize("names", [{"reply"}, {"closed", "approval_requested"}, {"newsletter"}])
def test_an_essential_or_unknown_mail_cannot_be_switched_off(names):
    with pytest.raises(DomainError) as refused:
        mail_audience.check_switched_off(names)
    assert refused.value.code == "invalid_fields" and "closed" in str(refused.value.fields["switched_off"])
    assert all(n in str(refused.value) for n in names - set(mail_audience.OPTIONAL))
