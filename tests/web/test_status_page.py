"""The admin Status page: self-check results, failed notifications and their retry, backups; admins only."""
# ruff: noqa: F811 - pytest fixtures imported from tests.workers.fixtures are used as arguments

from __future__ import annotations

import pytest

from data.models import Notification, NotificationStatus, utcnow
from tests.conftest import dash_post
from tests.web.test_permissions import render_page
from tests.workers.fixtures import contacts, mail, settings, sms, smtp  # noqa: F401

CHECKS_OUT = "..status-checks.children...status-overall.children...status-checked-at.children.."
OUTBOX_OUT = ("..status-outbox.children...status-counts.children...status-outbox-page.max_value..."
              "status-outbox-page.active_page..")
RETRY_OUT = "..status-outbox-message.children...status-outbox-version.data.."
BACKUPS_OUT = "..status-backups.children...status-backup-message.children.."


def checks(client, run=None):
    return dash_post(client, CHECKS_OUT, [{"id": "status-refresh", "property": "n_intervals", "value": None},
                                          {"id": "status-run-checks", "property": "n_clicks", "value": run}],
                     changed=["status-run-checks.n_clicks"] if run else [])


def outbox(client, statuses=("failed",), page=1):
    return dash_post(client, OUTBOX_OUT, [{"id": "status-outbox-filter", "property": "value", "value": list(statuses)},
                                          {"id": "status-outbox-sort", "property": "value", "value": "created_at:desc"},
                                          {"id": "status-outbox-page", "property": "active_page", "value": page},
                                          {"id": "status-refresh", "property": "n_intervals", "value": None},
                                          {"id": "status-outbox-version", "property": "data", "value": 0}])


def add_failed(ctx, world, n=1):
    rows = [Notification(site_id=world["sites"]["S1"], kind="failure_alert", event_key=f"failure:{900 + i}",
                         channel="email", address="manager@plant.test", subject=f"[S1] CRITICAL failure {i}",
                         body="Body", status=NotificationStatus.FAILED, attempts=6, last_error="451 try later",
                         created_at=utcnow()) for i in range(n)]
    ctx.add_all(rows)
    ctx.commit()
    return [r.id for r in rows]


@pytest.mark.parametrize("role", ["technician", "engineer", "manager"])
def test_only_admins_get_the_status_page_and_its_callbacks(client, auth, world, role):
    auth.login(role)
    assert '"forbidden"' in render_page(client, "/admin/status")
    assert checks(client).status_code == 403
    assert outbox(client).status_code == 403


def test_admin_sees_check_results_and_can_run_them(client, auth, world):
    auth.login("admin")
    body = render_page(client, "/admin/status")
    assert "status-checks" in body and "status-outbox" in body and "status-backups" in body
    resp = checks(client)
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    for name in ("Disk", "Database", "Queue", "Storage", "Ingest", "Cameras", "Backups", "Notifications"):
        assert name in text
    assert "status-overall-badge" in text and "checked " in text
    assert checks(client, run=1).status_code == 200


def test_failed_notifications_are_listed_and_retried(client, auth, ctx, contacts, mail):
    smtp, _sms = mail
    ids = add_failed(ctx, contacts, n=2)
    auth.login("admin")
    text = outbox(client).get_data(as_text=True)
    assert "manager@plant.test" in text and "451 try later" in text and "Retry" in text
    assert '"Failed: 2"' in text
    assert "No sent notifications" in outbox(client, ("sent",)).get_data(as_text=True)

    one = [{"id": {"type": "status-retry-one", "index": i}, "property": "n_clicks", "value": None} for i in ids]
    one[0]["value"] = 1
    resp = dash_post(client, RETRY_OUT, [{"id": "status-retry-all", "property": "n_clicks", "value": None}, one],
                     state=[{"id": "status-outbox-version", "property": "data", "value": 0}],
                     changed=[f'{{"index":{ids[0]},"type":"status-retry-one"}}.n_clicks'])
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert "1 notification(s) queued again" in resp.get_data(as_text=True)
    ctx.expire_all()
    assert ctx.get(Notification, ids[0]).status is NotificationStatus.SENT
    assert ctx.get(Notification, ids[1]).status is NotificationStatus.FAILED
    assert [m["Subject"] for m in smtp.messages] == ["[S1] CRITICAL failure 0"]

    resp = dash_post(client, RETRY_OUT, [{"id": "status-retry-all", "property": "n_clicks", "value": 1}, one],
                     state=[{"id": "status-outbox-version", "property": "data", "value": 1}],
                     changed=["status-retry-all.n_clicks"])
    assert "1 notification(s) queued again" in resp.get_data(as_text=True)
    assert len(smtp.messages) == 2
    assert "No failed notifications" in outbox(client).get_data(as_text=True)


def test_back_up_now_from_the_status_page(client, auth, world, settings, tmp_path):
    settings(backup_dir=tmp_path / "backups")
    auth.login("admin")
    inputs = [{"id": "status-refresh", "property": "n_intervals", "value": None},
              {"id": "status-backup-now", "property": "n_clicks", "value": None}]
    assert "No backups yet" in dash_post(client, BACKUPS_OUT, inputs).get_data(as_text=True)
    inputs[1]["value"] = 1
    text = dash_post(client, BACKUPS_OUT, inputs, changed=["status-backup-now.n_clicks"]).get_data(as_text=True)
    assert "written." in text and "toolmaint-" in text and "1 backup(s) in" in text
    assert len(list((tmp_path / "backups").glob("toolmaint-*.json"))) == 1  # the backup and its manifest
