"""GET /api/v1/export/<dataset>.csv: who may export what, filters, format, bad input, and streaming."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tracemalloc
from decimal import Decimal

import pytest

from api.export import DATASETS


def rows_of(resp) -> list[dict]:
    """The CSV body as dicts (checks it is UTF-8 with a header row)."""
    text = resp.get_data().decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def data(ctx, world):
    """A failure on each site (one with a formula-like description), shots, a log, an action, a sensor hour."""
    from data.models import (
        ActionItem,
        FailureCode,
        FailureReport,
        MaintenanceKind,
        MaintenanceLog,
        Sensor,
        SensorHourly,
        Severity,
        ShotsDaily,
    )

    code = FailureCode(code="FL", mode="Flash", mechanism="Wear", cause="Maintenance", component="Parting line",
                       default_severity=Severity.MEDIUM)
    ctx.add(code)
    ctx.flush()
    for k, site in enumerate(("S1", "S2")):
        s, m, p = world["sites"][site], world["moulds"][site], world["presses"][site]
        ctx.add(FailureReport(site_id=s, mould_id=m, press_id=p, failure_code_id=code.id, severity=Severity.HIGH,
                              occurred_at=dt.datetime(2026, 3, 10 + k, 8, 30, tzinfo=dt.UTC), shot_count=123_456,
                              downtime_hours=Decimal("2.50"),
                              description="=HYPERLINK(\"http://x\")" if site == "S1" else "Flash, at \"cavity 2\""))
        ctx.add(ShotsDaily(site_id=s, press_id=p, mould_id=m, day=dt.date(2026, 3, 1), shots=5000))
        ctx.add(MaintenanceLog(site_id=s, mould_id=m, kind=MaintenanceKind.PREVENTIVE,
                               performed_at=dt.datetime(2026, 3, 2, tzinfo=dt.UTC), shot_count=1))
        ctx.add(ActionItem(site_id=s, title=f"Action {site}", created_at=dt.datetime(2026, 3, 3, tzinfo=dt.UTC)))
        sensor = Sensor(site_id=s, press_id=p, key="mould_temp", name="Mould temperature", unit="°C")
        ctx.add(sensor)
        ctx.flush()
        ctx.add(SensorHourly(site_id=s, sensor_id=sensor.id, bucket=dt.datetime(2026, 3, 1, 5, tzinfo=dt.UTC), n=4,
                             total=200.0, min=49.0, max=51.0))
    ctx.commit()
    return world


def test_engineer_exports_failures_as_utf8_csv_with_iso_times(client, auth, data):
    auth.login("engineer")
    resp = client.get("/api/v1/export/failures.csv")
    assert resp.status_code == 200 and resp.is_streamed
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'attachment; filename="failures.csv"' == resp.headers["Content-Disposition"]
    rows = rows_of(resp)
    assert list(rows[0]) == DATASETS["failures"].header
    assert [r["site"] for r in rows] == ["S1", "S2"]
    assert rows[0]["occurred_at"] == "2026-03-10T08:30:00+00:00"
    assert rows[0]["downtime_hours"] == "2.50" and rows[0]["severity"] == "high"
    assert rows[0]["description"].startswith("'=HYPERLINK")  # spreadsheets must not run it as a formula
    assert rows[1]["description"] == 'Flash, at "cavity 2"'


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_every_dataset_has_a_header_and_both_sites_rows(client, auth, data, dataset):
    auth.login("manager")
    resp = client.get(f"/api/v1/export/{dataset}.csv")
    assert resp.status_code == 200
    rows = rows_of(resp)
    assert rows and list(rows[0]) == DATASETS[dataset].header
    assert {r["site"] for r in rows} == {"S1", "S2"}


def test_site_and_date_filters(client, auth, data):
    auth.login("engineer")
    assert [r["site"] for r in rows_of(client.get("/api/v1/export/failures.csv?site=S2"))] == ["S2"]
    assert [r["occurred_at"][:10] for r in rows_of(client.get(
        "/api/v1/export/failures.csv?from=2026-03-11&to=2026-03-11"))] == ["2026-03-11"]
    assert rows_of(client.get("/api/v1/export/shots-daily.csv?to=2026-02-28")) == []
    hourly = rows_of(client.get("/api/v1/export/sensor-hourly.csv?site=S1"))
    assert hourly[0]["mean"] == "50.0" and hourly[0]["bucket"] == "2026-03-01T05:00:00+00:00"


def test_site_scope_holds_for_technicians_tokens_and_anonymous(client, auth, ctx, data):
    from data.tokens import create_token

    _t, export_token = create_token("bi-tool", "S1", ["export"])
    _t, ingest_token = create_token("edge", "S1", ["ingest"])
    ctx.commit()
    assert client.get("/api/v1/export/failures.csv").status_code == 401
    bearer = {"Authorization": f"Bearer {export_token}"}
    rows = rows_of(client.get("/api/v1/export/failures.csv", headers=bearer))
    assert [r["site"] for r in rows] == ["S1"]
    assert client.get("/api/v1/export/failures.csv?site=S2", headers=bearer).status_code in (400, 403)
    assert client.get("/api/v1/export/failures.csv",
                      headers={"Authorization": f"Bearer {ingest_token}"}).status_code == 401
    auth.login("technician")
    assert client.get("/api/v1/export/failures.csv").status_code == 403


@pytest.mark.parametrize("url, status, message", [
    ("/api/v1/export/failures.csv?from=03/01/2026", 400, "YYYY-MM-DD"),
    ("/api/v1/export/failures.csv?from=2026-05-01&to=2026-01-01", 400, "is after"),
    ("/api/v1/export/failures.csv?site=NOPE", 400, "Unknown site"),
    ("/api/v1/export/failures.csv?limit=5", 400, "Unknown parameter"),
    ("/api/v1/export/passwords.csv", 404, "Unknown dataset"),
])
def test_bad_requests_get_a_clear_4xx(client, auth, data, url, status, message):
    auth.login("engineer")
    resp = client.get(url)
    assert resp.status_code == status and message in resp.get_json()["error"]


def test_a_large_export_streams_in_constant_memory(client, auth, ctx, world):
    from data.models import ShotsDaily

    def fill(n: int, offset: int) -> None:
        ctx.execute(ShotsDaily.__table__.insert(), [
            {"site_id": world["sites"]["S1"], "press_id": world["presses"]["S1"], "mould_id": 1000 + (i % 50),
             "day": dt.date(2000, 1, 1) + dt.timedelta(days=(offset + i) // 50), "shots": i} for i in range(n)])
        ctx.commit()

    def peak_while_reading() -> tuple[int, int]:
        tracemalloc.start()
        resp = client.get("/api/v1/export/shots-daily.csv")
        lines = sum(chunk.count(b"\n") for chunk in resp.response)
        _now, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return lines, peak

    auth.login("engineer")
    fill(10_000, 0)
    small_lines, small_peak = peak_while_reading()
    fill(90_000, 10_000)
    big_lines, big_peak = peak_while_reading()
    assert (small_lines, big_lines) == (10_001, 100_001)
    assert big_peak < 2 * small_peak, (small_peak, big_peak)  # ten times the rows, not ten times the memory
