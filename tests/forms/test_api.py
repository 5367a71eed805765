"""The JSON endpoints behind the technician forms: idempotent replays, refusals, photos, site isolation."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from data.db import db
from data.models import ActionItem, FailureReport, MaintenanceLog, Photo, PhotoStatus
from data.scope import system_scope
from tests.forms.conftest import big_png, jpeg_bytes

H = {"X-Requested-With": "toolmaint"}


def count(app, model, **where) -> int:
    with app.app_context(), system_scope():
        stmt = select(func.count()).select_from(model)
        for k, v in where.items():
            stmt = stmt.where(getattr(model, k) == v)
        return db.session.scalar(stmt)


def upload(client, data: bytes, mould_id, key="photo-key-0001", name="p.jpg", purpose="maintenance"):
    return client.post("/api/v1/photos", headers=H, content_type="multipart/form-data",
                       data={"photo": (io.BytesIO(data), name), "mould_id": str(mould_id), "client_key": key,
                             "purpose": purpose})


def log_body(world, **extra):
    return {"mould_id": world["moulds"]["S1"], "kind": "corrective", "performed_at": "2026-01-05T08:00:00Z",
            "work_done": "Cleaned vents", "shot_count": 500_000, "client_key": "log-key-0001"} | extra


def test_log_with_photo_then_replay_gives_one_log_and_one_photo(app, client, auth, world, storage_files):
    auth.login("technician")
    up = upload(client, jpeg_bytes(gps=True), world["moulds"]["S1"])
    assert up.status_code == 201, up.get_json()
    assert up.get_json()["status"] == "ready" and up.get_json()["progress"] == 100
    assert upload(client, jpeg_bytes(), world["moulds"]["S1"]).status_code == 200  # replayed photo: same row
    first = client.post("/api/v1/maintenance-logs", headers=H, json=log_body(world, photo_keys=["photo-key-0001"]))
    assert first.status_code == 201, first.get_json()
    again = client.post("/api/v1/maintenance-logs", headers=H, json=log_body(world, photo_keys=["photo-key-0001"]))
    assert again.status_code == 200 and again.get_json()["duplicate"]
    assert again.get_json()["id"] == first.get_json()["id"]
    assert count(app, MaintenanceLog) == 1 and count(app, Photo) == 1
    log_id = first.get_json()["id"]
    assert count(app, Photo, maintenance_log_id=log_id, status=PhotoStatus.READY) == 1
    assert len(storage_files()) == 3  # original, web size, thumbnail
    thumb = client.get(f"/api/v1/photos/{up.get_json()['id']}/thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg" and thumb.data[:2] == b"\xff\xd8"


def test_refused_log_gets_422_with_messages_per_field(app, client, auth, world):
    auth.login("technician")
    resp = client.post("/api/v1/maintenance-logs", headers=H,
                       json=log_body(world, shot_count=10, performed_at="2099-01-01T00:00:00Z"))
    assert resp.status_code == 422
    errors = resp.get_json()["errors"]
    assert "in the future" in errors["performed_at"]
    assert count(app, MaintenanceLog) == 0


def test_another_sites_mould_is_refused(app, client, auth, world):
    auth.login("technician")
    resp = client.post("/api/v1/maintenance-logs", headers=H, json=log_body(world, mould_id=world["moulds"]["S2"]))
    assert resp.status_code == 422
    assert "site you do not have access to" in resp.get_json()["errors"]["mould_id"]
    up = upload(client, jpeg_bytes(), world["moulds"]["S2"])
    assert up.status_code == 422 and "site" in up.get_json()["errors"]["mould_id"]
    assert count(app, MaintenanceLog) == 0 and count(app, Photo) == 0


def test_writes_need_the_apps_header_and_a_session(app, client, auth, world):
    assert client.post("/api/v1/maintenance-logs", headers=H, json=log_body(world)).status_code == 401
    auth.login("technician")
    resp = client.post("/api/v1/maintenance-logs", json=log_body(world))  # a cross-site form cannot add the header
    assert resp.status_code == 403 and "X-Requested-With" in resp.get_json()["error"]
    other = client.post("/api/v1/maintenance-logs", headers=H | {"X-Submitted-By": "technician2"}, json=log_body(world))
    assert other.status_code == 409 and "technician2" in other.get_json()["error"]
    assert count(app, MaintenanceLog) == 0


@pytest.mark.parametrize("make, name, message", [
    (lambda: b"this is plain text, not a photo\n" * 20, "holiday.jpg", "not a photo"),
    (lambda: big_png(20_000, 20_000), "huge.png", "20,000 × 20,000 pixels"),
    (lambda: jpeg_bytes() + b"\0" * (30 * 1024 * 1024), "big.jpg", "30.0 MB; photos may be at most 20 MB"),
])
def test_bad_uploads_are_refused_and_nothing_is_stored(app, client, auth, world, storage_files, make, name, message):
    auth.login("technician")
    resp = upload(client, make(), world["moulds"]["S1"], name=name)
    assert resp.status_code == 422
    assert message in resp.get_json()["errors"]["photo"]
    assert count(app, Photo) == 0 and storage_files() == []


def test_report_and_inline_action_via_api(app, client, auth, world, code_id):
    auth.login("technician")
    body = {"mould_id": world["moulds"]["S1"], "failure_code_id": code_id, "occurred_at": "2026-01-05T08:00:00Z",
            "description": "Leak", "add_action": True, "action_title": "Replace O-rings", "client_key": "rep-00000001"}
    assert client.post("/api/v1/failure-reports", headers=H, json=body).status_code == 201
    assert client.post("/api/v1/failure-reports", headers=H, json=body).status_code == 200
    assert count(app, FailureReport) == 1 and count(app, ActionItem) == 1


def test_action_close_via_api_needs_a_note(app, client, auth, world):
    auth.login("technician")
    created = client.post("/api/v1/action-items", headers=H, json={"mould_id": world["moulds"]["S1"],
                                                                   "title": "Polish", "client_key": "act-00000001"})
    action_id = created.get_json()["id"]
    bad = client.patch(f"/api/v1/action-items/{action_id}", headers=H, json={"status": "closed"})
    assert bad.status_code == 422 and "verified" in bad.get_json()["errors"]["verification_note"]
    ok = client.patch(f"/api/v1/action-items/{action_id}", headers=H,
                      json={"status": "closed", "verification_note": "Checked"})
    assert ok.status_code == 200 and ok.get_json()["status"] == "closed"


def test_photo_of_another_site_is_not_served(app, client, auth, world):
    auth.login("technician2")
    up = upload(client, jpeg_bytes(), world["moulds"]["S2"], key="photo-s2-0001")
    photo_id = up.get_json()["id"]
    auth.logout()
    auth.login("technician")
    assert client.get(f"/api/v1/photos/{photo_id}/thumb").status_code == 404
    assert client.get(f"/api/v1/photos/{photo_id}").status_code == 404


def test_service_worker_is_served_from_the_root(client):
    resp = client.get("/sw.js")
    assert resp.status_code == 200 and resp.mimetype == "application/javascript"
    assert resp.headers["Service-Worker-Allowed"] == "/" and "no-cache" in resp.headers["Cache-Control"]
    assert b"importScripts" in resp.data
