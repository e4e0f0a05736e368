"""Likely duplicates for technicians, published incidents for employees ("moi aussi"), merge."""

from __future__ import annotations

from tshelpers import new_ticket


def test_technicians_are_offered_likely_duplicates_and_can_merge(api):
    first = new_ticket(api("employee_a"), title="L'imprimante du 3e étage n'imprime plus",
                       description="Bourrage papier permanent sur l'imprimante du troisième étage.")
    unrelated = new_ticket(api("employee_a"), title="Mot de passe expiré", description="Je ne peux plus me connecter.")
    second = new_ticket(api("employee_b"), title="Imprimante 3e étage en panne",
                        description="L'imprimante du troisième étage affiche un bourrage papier.")
    assert "likely_duplicates" not in second  # employees never see other people's tickets
    tech = api("n1")
    offered = tech.get(f"/api/v1/tickets/{second['id']}/duplicates").get_json()["items"]
    assert offered and offered[0]["id"] == first["id"] and offered[0]["score"] > 0.25
    assert unrelated["id"] not in [o["id"] for o in offered]
    created = tech.post("/api/v1/tickets", json={"title": "Imprimante du 3e bloquée", "description": "Bourrage papier au 3e étage.",
                                                  "requester_id": 1}).get_json()
    assert first["id"] in [d["id"] for d in created["likely_duplicates"]]
    merged = tech.post(f"/api/v1/tickets/{second['id']}/merge", json={"into": first["id"]})
    assert merged.status_code == 200 and merged.get_json()["status"] == "closed"
    links = tech.get(f"/api/v1/tickets/{first['id']}/links").get_json()["items"]
    assert {"source_id": second["id"], "target_id": first["id"], "kind": "duplicate_of"}.items() <= links[0].items()
    assert tech.post(f"/api/v1/tickets/{second['id']}/merge", json={"into": first["id"]}).status_code == 409
    assert api("employee_b").get(f"/api/v1/tickets/{second['id']}").get_json()["status"] == "closed"


def test_employees_see_only_published_incidents_and_can_join(api):
    tech = api("n1")
    private = new_ticket(api("employee_a"), title="VPN coupé à Grenoble", description="Le VPN de Grenoble coupe, note privée Claire.")
    incident = new_ticket(tech, title="VPN Grenoble hors service", description="Concentrateur VPN de Grenoble planté, détail interne.")
    b = api("employee_b")
    before = b.post("/api/v1/incidents/similar", json={"text": "le VPN est coupé à Grenoble"}).get_json()["items"]
    assert all(item["id"] not in (private["id"], incident["id"]) for item in before)
    assert b.post(f"/api/v1/incidents/{incident['id']}/join").status_code == 404  # not published yet
    tech.post(f"/api/v1/tickets/{incident['id']}/publication",
              json={"public_title": "VPN indisponible à Grenoble", "public_text": "Le VPN de l'agence de Grenoble est coupé.", "major": True})
    found = b.post("/api/v1/incidents/similar", json={"text": "le VPN est coupé à Grenoble"}).get_json()["items"]
    assert [item["id"] for item in found][:1] == [incident["id"]]
    assert set(found[0]) == {"id", "title", "text", "major", "status", "since", "score"}
    assert "interne" not in str(found) and "Claire" not in str(found)
    assert b.post(f"/api/v1/incidents/{incident['id']}/join").status_code == 201
    assert b.post(f"/api/v1/incidents/{incident['id']}/join").status_code == 200
    banner = b.get("/api/v1/incidents/major").get_json()["items"]
    assert banner[0]["id"] == incident["id"] and banner[0]["major"] is True
    assert b.post(f"/api/v1/incidents/{private['id']}/join").status_code == 404
