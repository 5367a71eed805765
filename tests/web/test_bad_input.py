"""Malformed and oversized requests get a 4xx with a message, never a 500."""

from __future__ import annotations


def test_oversized_request_is_refused_with_a_message(client, auth, world, app):
    auth.login("manager")
    limit = app.config["MAX_CONTENT_LENGTH"]
    resp = client.post("/_dash-update-component", data=b"x" * (limit + 1), content_type="application/json")
    assert resp.status_code == 413
    assert resp.get_json()["error"]


def test_unknown_page_gets_a_404_message(client, auth, world):
    auth.login("manager")
    resp = client.get("/api/v1/nothing-here")
    assert resp.status_code == 404 and resp.get_json()["status"] == 404


def test_wrong_method_is_405_not_500(client, world):
    assert client.put("/login").status_code == 405


def test_health_probes(client, world):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json()["database"] == "ok"
