"""Dashboards through the real Dash endpoints: who may open which page and callback, the site scope, what
the callbacks return, URL state, and bad URL values (a message and the default view, never a 500)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from tests.conftest import dash_post

ROUTER = ".._pages_content.children..._pages_store.data.."
DASHBOARDS = {"/overview": "overview-kpis", "/failures": "failures-pareto", "/reliability": "reliability-plot",
              "/condition": "condition-charts", "/actions-board": "actions-board-grid"}
OVERVIEW = ("..overview-bands.children...overview-forecast.children...overview-health.children..."
            "overview-updated.children..")
KPIS = "overview-kpis.children"


def inp(cid, prop, value):
    """One callback input as the browser sends it."""
    return {"id": cid, "property": prop, "value": value}


def values(arr) -> list:
    """A trace array from a figure's JSON (plotly sends numpy arrays as base64 'bdata')."""
    import base64

    import numpy as np

    if isinstance(arr, dict) and "bdata" in arr:
        return np.frombuffer(base64.b64decode(arr["bdata"]), dtype=arr["dtype"]).tolist()
    return list(arr)


def render(client, path: str, search: str = "") -> str:
    """Ask Dash's page router for a page, as the browser does on navigation."""
    resp = dash_post(client, ROUTER, [inp("_pages_location", "pathname", path),
                                      inp("_pages_location", "search", search)])
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_data(as_text=True)


def overview(client, site=None, family=None, output=OVERVIEW):
    """Call the overview's grid and charts callback (or its KPI cards with output=KPIS)."""
    return dash_post(client, output, [inp("overview-site", "value", site), inp("overview-family", "value", family)])


@pytest.fixture
def history(ctx, world):
    """Some shots, a failure code, failures and an action on each site."""
    from data.models import ActionItem, FailureCode, FailureReport, Severity, ShotsDaily, utcnow

    now = utcnow()
    code = FailureCode(code="FL", mode="Flash", mechanism="Wear", cause="Maintenance", component="Parting line",
                       default_severity=Severity.MEDIUM)
    ctx.add(code)
    ctx.flush()
    for site in ("S1", "S2"):
        s, m, p = world["sites"][site], world["moulds"][site], world["presses"][site]
        ctx.add(ShotsDaily(site_id=s, press_id=p, mould_id=m, day=now.date(), shots=1234 if site == "S1" else 999))
        for k, count in enumerate((100_000, 260_000)):
            ctx.add(FailureReport(site_id=s, mould_id=m, press_id=p, failure_code_id=code.id,
                                  severity=Severity.HIGH if site == "S2" else Severity.MEDIUM,
                                  occurred_at=now - dt.timedelta(days=10 + k), shot_count=count,
                                  downtime_hours=Decimal("2.5")))
        ctx.add(ActionItem(site_id=s, title=f"Fix {site}", due_date=now.date() - dt.timedelta(days=2), mould_id=m,
                           created_at=now - dt.timedelta(days=9)))
    ctx.commit()
    return world


@pytest.mark.parametrize("role", ["manager", "engineer"])
def test_every_dashboard_renders_for_managers_and_engineers(client, auth, world, role):
    auth.login(role)
    for path, marker in DASHBOARDS.items():
        body = render(client, path)
        assert marker in body and '"forbidden"' not in body, path
    assert "tool-shots" in render(client, "/tools/T-1")


def test_technicians_cannot_open_engineer_pages_or_call_their_callbacks(client, auth, history):
    auth.login("technician")
    for path, marker in DASHBOARDS.items():
        body = render(client, path)
        assert '"forbidden"' in body and marker not in body, path
    resp = overview(client)
    assert resp.status_code == 403 and "may not" in resp.get_json()["error"]
    assert overview(client, output=KPIS).status_code == 403
    pareto = dash_post(client, "failures-pareto.children", [
        inp("failures-site", "value", None), inp("failures-dates", "start_date", "2026-01-01"),
        inp("failures-dates", "end_date", "2026-11-27"), inp("failures-family", "value", None),
        inp("failures-moulds", "value", []), inp("failures-severity", "value", []),
        inp("failures-by", "value", "mode"), inp("failures-metric", "value", "count")])
    assert pareto.status_code == 403
    export = client.get("/api/v1/export/failures.csv")
    assert export.status_code == 403
    hrefs = json.dumps(client.get("/_dash-layout").get_json())
    assert "/reliability" not in hrefs and "/overview" not in hrefs


def test_overview_numbers_follow_the_site_filter(client, auth, history):
    auth.login("engineer")
    both = overview(client).get_data(as_text=True)
    assert "T-1" in both and "T-2" in both
    only_s1 = overview(client, site="S1").get_data(as_text=True)
    assert "T-1" in only_s1 and "T-2" not in only_s1
    cards = overview(client, site="S1", output=KPIS).get_data(as_text=True)
    assert '"overview-kpi-actions-value"' in cards and '"overview-kpi-failures-value"' in cards
    # A site code that is not one of the user's shows nothing rather than everything.
    assert "T-1" not in overview(client, site="XX").get_data(as_text=True)


def test_mould_page_respects_the_site_scope(client, auth, history):
    auth.login("technician")
    assert "tool-shots" in render(client, "/tools/T-1")
    other = render(client, "/tools/T-2")
    assert "There is no mould with code" in other and "tool-shots" not in other
    header = ("..tool-header.children...tool-kpis.children..")
    args = [inp("tool-dates", "start_date", "2026-10-01"), inp("tool-dates", "end_date", "2026-11-27")]
    mine = dash_post(client, header, [inp("tool-code", "data", "T-1"), *args])
    assert mine.status_code == 200 and "Mould one" in mine.get_data(as_text=True)
    theirs = dash_post(client, header, [inp("tool-code", "data", "T-2"), *args])
    assert theirs.status_code == 204 and b"Mould two" not in theirs.get_data()


def test_mould_shots_callback_downsamples_and_reports_the_range(client, auth, ctx, world):
    from data.models import ShotsHourly

    t0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    ctx.execute(ShotsHourly.__table__.insert(), [
        {"site_id": world["sites"]["S1"], "press_id": world["presses"]["S1"], "mould_id": world["moulds"]["S1"],
         "bucket": t0 + dt.timedelta(hours=h), "shots": 100 + (h % 24)} for h in range(24 * 365)])
    ctx.commit()
    auth.login("engineer")
    out = "..tool-shots.figure...tool-shots-note.children.."
    base = [inp("tool-code", "data", "T-1"), inp("tool-dates", "start_date", "2025-01-01"),
            inp("tool-dates", "end_date", "2025-12-31"), inp("tool-res", "value", "hour")]
    resp = dash_post(client, out, [*base, inp("tool-shots", "relayoutData", None)], changed=["tool-dates.start_date"])
    body = resp.get_json()["response"]
    trace = body["tool-shots"]["figure"]["data"][0]
    ys = values(trace["y"])
    assert len(ys) <= 4000 and max(ys) == 123 and min(ys) == 100
    assert "of 8,760 points drawn" in body["tool-shots-note"]["children"]
    zoom = {"xaxis.range[0]": "2025-03-01 00:00", "xaxis.range[1]": "2025-03-03 00:00"}
    resp = dash_post(client, out, [*base, inp("tool-shots", "relayoutData", zoom)], changed=["tool-shots.relayoutData"])
    zoomed = resp.get_json()["response"]
    assert len(values(zoomed["tool-shots"]["figure"]["data"][0]["y"])) == 48  # the zoomed range, re-queried hourly
    assert "of 48 points" in zoomed["tool-shots-note"]["children"]


def test_pareto_and_weibull_callbacks_answer(client, auth, history):
    auth.login("engineer")
    resp = dash_post(client, "failures-pareto.children", [
        inp("failures-site", "value", "S2"), inp("failures-dates", "start_date", "2000-01-01"),
        inp("failures-dates", "end_date", dt.date.today().isoformat()), inp("failures-family", "value", None),
        inp("failures-moulds", "value", []), inp("failures-severity", "value", ["high"]),
        inp("failures-by", "value", "mode"), inp("failures-metric", "value", "count")])
    fig = resp.get_json()["response"]["failures-pareto"]["children"]["props"]["figure"]
    assert values(fig["data"][0]["x"]) == ["Flash"] and values(fig["data"][0]["y"]) == [2.0]
    weibull = ("..reliability-params.children...reliability-plot.children...reliability-risk-chart.children..."
               "reliability-risk-grid.children...reliability-fits.children..")
    resp = dash_post(client, weibull, [inp("reliability-site", "value", None), inp("reliability-family", "value", None),
                                       inp("reliability-mode", "value", None), inp("reliability-n", "value", 50000)])
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "reliability-beta" in text  # 4 failures at distinct counts: a fit
    assert "Flash" in text


def test_url_sync_writes_controls_to_the_query_and_back(client, auth, world):
    auth.login("engineer")
    out = "..failures-url.search...failures-site.value...failures-dates.start_date...failures-dates.end_date..." \
          "failures-family.value...failures-moulds.value...failures-severity.value...failures-by.value..." \
          "failures-metric.value.."
    controls = [inp("failures-site", "value", "S1"), inp("failures-dates", "start_date", "2026-01-01"),
                inp("failures-dates", "end_date", "2026-03-31"), inp("failures-family", "value", None),
                inp("failures-moulds", "value", ["T-1"]), inp("failures-severity", "value", []),
                inp("failures-by", "value", "component"), inp("failures-metric", "value", "downtime")]
    resp = dash_post(client, out, [inp("failures-url", "search", ""), *controls,
                                   {"id": {"type": "failures-preset", "days": 7}, "property": "n_clicks",
                                    "value": None}], changed=["failures-by.value"])
    search = resp.get_json()["response"]["failures-url"]["search"]
    assert search == "?by=component&from=2026-01-01&metric=downtime&mould=T-1&site=S1&to=2026-03-31"
    # Back button: the URL changes, the controls follow it.
    resp = dash_post(client, out, [inp("failures-url", "search", "?by=press&site=S2"), *controls,
                                   {"id": {"type": "failures-preset", "days": 7}, "property": "n_clicks",
                                    "value": None}], changed=["failures-url.search"])
    got = resp.get_json()["response"]
    assert got["failures-site"]["value"] == "S2" and got["failures-by"]["value"] == "press"
    assert got["failures-moulds"]["value"] == [] and "failures-url" not in got


@pytest.mark.parametrize("path, search, message", [
    ("/failures", "?from=yesterday&to=2026-01-01", "is not a date"),
    ("/failures", "?from=2026-05-01&to=2026-01-01", "starts (2026-05-01) after it ends"),
    ("/failures", "?site=ZZZ&by=colour", "Unknown site"),
    ("/failures", "?by=colour", "Unknown Pareto dimension"),
    ("/reliability", "?n=lots&mode=Explosion", "is not a whole number"),
    ("/overview", "?family=nope", "Unknown mould family"),
    ("/condition", "?press=NOPE", "Unknown press (with sensors)"),
    ("/tools/T-1", "?res=minute&from=2026-02-30", "Date range ignored"),
    ("/actions-board", "?show=everything", "Unknown list"),
])
def test_bad_url_values_give_a_message_and_the_default_view(client, auth, world, path, search, message):
    auth.login("engineer")
    body = render(client, path, search)
    assert message in body
    assert "alert" in body


def test_unknown_mould_code_gives_a_message_and_a_way_on(client, auth, world):
    auth.login("manager")
    body = render(client, "/tools/NO-SUCH")
    assert "There is no mould with code 'NO-SUCH'" in body and "tool-other" in body and "T-1" in body


def test_empty_site_gives_empty_states_not_broken_charts(client, auth, ctx, world):
    from data.users import create_site

    create_site("S3", "Site Three")
    ctx.commit()
    auth.login("admin")
    body = overview(client, site="S3").get_data(as_text=True)
    assert "No active moulds in view." in body and "empty-state" in body
    weibull = ("..reliability-params.children...reliability-plot.children...reliability-risk-chart.children..."
               "reliability-risk-grid.children...reliability-fits.children..")
    resp = dash_post(client, weibull, [inp("reliability-site", "value", "S3"), inp("reliability-family", "value", None),
                                       inp("reliability-mode", "value", None), inp("reliability-n", "value", 50000)])
    assert "No failures with a shot count in view." in resp.get_data(as_text=True)
    cond = dash_post(client, "..condition-kpis.children...condition-charts.children...condition-excursions.children..."
                     "condition-sensors.children..", [
                         inp("condition-site", "value", "S3"), inp("condition-dates", "start_date", "2026-01-01"),
                         inp("condition-dates", "end_date", "2026-01-31"), inp("condition-press", "value", None),
                         inp("condition-mould", "value", None)])
    assert "No sensors at the sites in view." in cond.get_data(as_text=True)
