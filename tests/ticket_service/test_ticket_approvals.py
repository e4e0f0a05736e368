"""Access-request approvals (A-06): designated approvers only, never the requester, quorum, and races."""

from __future__ import annotations

import threading

from tshelpers import Api, new_ticket


def access_request(client, item="dossier-comptabilite") -> dict:
    ticket = new_ticket(client, type="access_request", catalogue_item=item, title="Accès demandé", description="Pour la clôture.")
    assert ticket["status"] == "awaiting_approval"
    return ticket


def test_access_requests_need_a_catalogue_item(api):
    response = api("employee_a").post("/api/v1/tickets", json={"title": "Accès", "description": "Au dossier.", "type": "access_request"})
    assert response.status_code == 422 and "catalogue_item" in response.get_json()["error"]["fields"]
    response = api("employee_a").post("/api/v1/tickets", json={"title": "Panne", "description": "Écran.", "catalogue_item": "vpn-nomade"})
    assert response.status_code == 422


def test_only_a_designated_approver_who_is_not_the_requester_decides(api):
    ticket = access_request(api("employee_a"), "vpn-nomade")  # approvers: marc only
    url = f"/api/v1/tickets/{ticket['id']}/approvals"
    assert api("employee_b").post(url, json={"decision": "approved"}).status_code == 404  # not hers (only a manager)
    assert api("n1").post(url, json={"decision": "approved"}).status_code == 403  # technicians do not approve
    assert api("approver").post(url, json={"decision": "approved"}).status_code == 404  # sophie: not hers to see
    response = api("approver_2").post(url, json={"decision": "approved", "comment": "OK"})
    assert response.status_code == 201 and response.get_json()["status"] == "new"
    assert api("approver_2").post(url, json={"decision": "rejected"}).status_code == 409
    own = access_request(api("approver"))  # sophie asks for an item she approves herself
    own_url = f"/api/v1/tickets/{own['id']}/approvals"
    assert api("approver").post(own_url, json={"decision": "approved"}).status_code == 403
    assert api("approver_2").post(own_url, json={"decision": "approved"}).status_code == 201


def test_quorum_of_two_and_any_rejection_rejects(api):
    ticket = access_request(api("employee_a"), "logiciel-paie")  # quorum 2
    url = f"/api/v1/tickets/{ticket['id']}/approvals"
    assert api("approver").post(url, json={"decision": "approved"}).get_json()["status"] == "awaiting_approval"
    assert api("approver").post(url, json={"decision": "approved"}).status_code == 409  # no double vote
    assert api("approver_2").post(url, json={"decision": "approved"}).get_json()["status"] == "new"
    decisions = api("employee_a").get(url).get_json()["items"]
    assert [d["decision"] for d in decisions] == ["approved", "approved"]
    rejected = access_request(api("employee_a"), "logiciel-paie")
    url = f"/api/v1/tickets/{rejected['id']}/approvals"
    api("approver").post(url, json={"decision": "approved"})
    assert api("approver_2").post(url, json={"decision": "rejected", "comment": "Non"}).get_json()["status"] == "rejected"


def test_sla_clock_starts_at_approval(api):
    ticket = access_request(api("employee_a"), "crm-clients")
    assert api("n1").get(f"/api/v1/tickets/{ticket['id']}").get_json()["sla"]["resolution"]["paused"] is True
    api("approver").post(f"/api/v1/tickets/{ticket['id']}/approvals", json={"decision": "approved"})
    sla = api("n1").get(f"/api/v1/tickets/{ticket['id']}").get_json()["sla"]["resolution"]
    assert sla["paused"] is False and sla["due"]


def test_concurrent_approve_and_reject_leave_exactly_one_outcome(app, api):
    for round_ in range(4):
        ticket = access_request(api("employee_a"))  # dossier-comptabilite: sophie and marc, quorum 1
        url = f"/api/v1/tickets/{ticket['id']}/approvals"
        clients = [Api(app, "approver"), Api(app, "approver_2")]
        decisions = ["approved", "rejected"] if round_ % 2 else ["rejected", "approved"]
        barrier, results = threading.Barrier(2), [None, None]

        def decide(index):
            barrier.wait()
            results[index] = clients[index].post(url, json={"decision": decisions[index]})

        threads = [threading.Thread(target=decide, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        codes = sorted(r.status_code for r in results)
        assert codes == [201, 409], [r.get_json() for r in results]
        winner = next(i for i, r in enumerate(results) if r.status_code == 201)
        expected = "new" if decisions[winner] == "approved" else "rejected"
        assert api("n1").get(f"/api/v1/tickets/{ticket['id']}").get_json()["status"] == expected
        recorded = api("n1").get(url).get_json()["items"]
        assert len(recorded) == 1 and recorded[0]["decision"] == decisions[winner]
        history = api("n1").get(f"/api/v1/tickets/{ticket['id']}/history").get_json()["items"]
        assert [e["new"] for e in history if e["field"] == "status"] == ["awaiting_approval", expected]
