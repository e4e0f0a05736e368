"""K-06: the API is same-origin only: no CORS grant to other origins, and cookie writes need the CSRF token."""

from __future__ import annotations

from tshelpers import Api

EVIL = {"Origin": "https://evil.test"}


def test_no_cross_origin_grant_is_ever_reflected(app, api):
    employee = api("employee_a")
    for response in (
        employee.get("/api/v1/tickets", headers=EVIL),
        employee.get("/api/v1/session", headers=EVIL),
        employee.client.options("/api/v1/tickets", headers={**EVIL, "Access-Control-Request-Method": "POST"}),
    ):
        assert "Access-Control-Allow-Origin" not in response.headers
        assert "Access-Control-Allow-Credentials" not in response.headers


def test_a_cross_site_write_with_the_session_cookie_but_no_token_is_refused(app):
    employee = Api(app, "employee_a")
    before = len(employee.get("/api/v1/tickets?per_page=100").get_json()["items"])
    response = employee.client.post("/api/v1/tickets", json={"title": "Forgé", "description": "Depuis evil.test"},
                                    headers=EVIL)
    assert response.status_code in (400, 403)
    assert response.get_json()["error"]["code"]
    assert len(employee.get("/api/v1/tickets?per_page=100").get_json()["items"]) == before
