"""Dashboards in headless Chromium: every page loads for managers and engineers without console errors, a filter
change updates the charts and the URL (and the back button undoes it), a grid's CSV export holds the rows the grid
shows, a row click opens the mould, and technicians reach neither the engineer pages nor their callbacks."""

from __future__ import annotations

import csv
import datetime as dt
import json
import time
from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By

from tests.browser.test_login import sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

PAGES = {"/overview": "#overview-kpi-overdue", "/failures": "#failures-pareto .js-plotly-plot",
         "/reliability": "#reliability-plot .js-plotly-plot",
         "/condition": "#condition-kpi-sensors, #condition-kpis .empty-state",
         "/actions-board": "#actions-kpi-open", "/tools/T-1": "#tool-identity"}


@pytest.fixture
def history(app, world):
    """Failures on T-1 (recent and older), shots and an overdue action, so every page has something to show."""
    from data.db import db
    from data.models import ActionItem, FailureCode, FailureReport, Severity, ShotsDaily, ShotsHourly, utcnow
    from data.scope import system_scope

    now = utcnow()
    with app.app_context(), system_scope():
        code = FailureCode(code="FL", mode="Flash", mechanism="Wear", cause="Maintenance",
                           component="Parting line", default_severity=Severity.MEDIUM)
        leak = FailureCode(code="WL", mode="Water leak", mechanism="Corrosion", cause="Maintenance",
                           component="Cooling circuit", default_severity=Severity.HIGH)
        db.session.add_all([code, leak])
        db.session.flush()
        s1, m1, p1 = world["sites"]["S1"], world["moulds"]["S1"], world["presses"]["S1"]
        for k, (days, fc, downtime) in enumerate(((5, code, "1.5"), (12, leak, "6"), (20, code, "3"),
                                                  (100, leak, "8"), (150, code, "2"))):
            db.session.add(FailureReport(site_id=s1, mould_id=m1, press_id=p1, failure_code_id=fc.id,
                                         severity=Severity.MEDIUM, occurred_at=now - dt.timedelta(days=days),
                                         shot_count=100_000 * (k + 1), downtime_hours=Decimal(downtime)))
        for d in range(40):
            day = now - dt.timedelta(days=d)
            db.session.add(ShotsDaily(site_id=s1, press_id=p1, mould_id=m1, day=day.date(), shots=2400))
            db.session.add(ShotsHourly(site_id=s1, press_id=p1, mould_id=m1,
                                       bucket=day.replace(minute=0, second=0, microsecond=0), shots=100))
        db.session.add(ActionItem(site_id=s1, title="Re-spot parting line", mould_id=m1,
                                  due_date=now.date() - dt.timedelta(days=3), created_at=now - dt.timedelta(days=20)))
        db.session.commit()
        db.session.remove()
    return world


def severe_errors(br) -> list:
    """Console errors since the last call (warnings from the grid library are not errors)."""
    return [e for e in br.driver.get_log("browser") if e["level"] == "SEVERE"]


def wait_until(predicate, timeout: float = 20.0, what: str = "condition"):
    """Poll until predicate() is truthy."""
    end = time.time() + timeout
    while time.time() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.parametrize("role", ["manager", "engineer"])
def test_every_dashboard_loads_without_console_errors(dash_br, browser_server, history, role):
    sign_in(dash_br, browser_server, role, PASSWORD)
    dash_br.wait_for_element("#shell-nav")
    for path, ready in PAGES.items():
        dash_br.driver.get(f"{browser_server}{path}")
        dash_br.wait_for_element(ready, timeout=30)
        time.sleep(0.5)  # let the remaining callbacks land
        assert severe_errors(dash_br) == [], path
    assert "T-1 · Mould one" in dash_br.find_element("#tool-identity").text


def test_filter_change_updates_charts_and_url_and_back_undoes_it(dash_br, browser_server, history):
    sign_in(dash_br, browser_server, "engineer", PASSWORD)
    dash_br.wait_for_element("#shell-nav")
    dash_br.driver.get(f"{browser_server}/failures")
    dash_br.wait_for_text_to_equal("#failures-kpi-count-value", "5", timeout=30)  # the default: a year
    pareto = dash_br.find_element("#failures-pareto .js-plotly-plot")
    before = dash_br.driver.execute_script("return Array.from(arguments[0]._fullData[0].y);", pareto)
    preset = dash_br.driver.find_element(By.XPATH, "//button[normalize-space()='30 d']")
    preset.click()
    dash_br.wait_for_text_to_equal("#failures-kpi-count-value", "3", timeout=30)
    wait_until(lambda: "from=" in dash_br.driver.current_url and "to=" in dash_br.driver.current_url,
               what="the range in the URL")
    def pareto_y():
        return dash_br.driver.execute_script(
            "const el = document.querySelector('#failures-pareto .js-plotly-plot');"
            "return el && el._fullData ? Array.from(el._fullData[0].y) : null;")

    after = wait_until(lambda: (y := pareto_y()) and sum(y) == 3 and y, what="the new Pareto")
    assert after != before
    bookmarked = dash_br.driver.current_url

    dash_br.driver.back()  # the URL and then the page go back to the default view
    wait_until(lambda: "from=" not in dash_br.driver.current_url, what="the previous URL")
    dash_br.wait_for_text_to_equal("#failures-kpi-count-value", "5", timeout=30)

    dash_br.driver.get(bookmarked)  # a bookmarked view opens as it was
    dash_br.wait_for_text_to_equal("#failures-kpi-count-value", "3", timeout=30)
    assert severe_errors(dash_br) == []


def test_grid_csv_export_holds_the_rows_the_grid_shows(dash_br, browser_server, history, tmp_path):
    dash_br.driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    sign_in(dash_br, browser_server, "manager", PASSWORD)
    dash_br.wait_for_element("#shell-nav")
    dash_br.driver.get(f"{browser_server}/failures")
    grid = '[id*="failures-list"][id*="dash-grid"]:not([id*="export"]):not([id*="count"])'
    dash_br.wait_for_element(f"{grid} .ag-row", timeout=30)
    header = dash_br.driver.find_element(By.CSS_SELECTOR,
                                         f'{grid} .ag-header-cell[col-id="mode"] .ag-header-cell-label')
    dash_br.driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", header)
    # sorted by mode: the export must follow the grid's order, not the server's
    time.sleep(0.5)

    def shown() -> list[tuple[str, str]]:
        rows = dash_br.driver.find_elements(By.CSS_SELECTOR, f"{grid} .ag-center-cols-container .ag-row")
        rows = sorted(rows, key=lambda r: int(r.get_attribute("row-index")))
        return [(r.find_element(By.CSS_SELECTOR, '[col-id="occurred_at"]').text,
                 r.find_element(By.CSS_SELECTOR, '[col-id="mode"]').text) for r in rows]

    in_grid = wait_until(lambda: len(shown()) == 5 and shown(), what="five grid rows")
    assert [m for _w, m in in_grid] == sorted(m for _w, m in in_grid)  # sorted in the browser
    assert [w for w, _m in in_grid] != sorted((w for w, _m in in_grid), reverse=True)  # not the server's order
    dash_br.driver.find_element(By.CSS_SELECTOR, '[id*="failures-list"][id*="dash-grid-export"]').click()
    path = tmp_path / "failures.csv"
    wait_until(lambda: path.exists() and path.stat().st_size > 0, what="the downloaded CSV")
    with path.open(encoding="utf-8-sig") as fh:
        exported = list(csv.DictReader(fh))
    as_shown = [(r["When"][:16].replace("T", " "), r["Mode"]) for r in exported]
    assert as_shown == in_grid
    assert {r["Mould"] for r in exported} == {"T-1"}


def test_a_row_click_opens_the_mould(dash_br, browser_server, history):
    sign_in(dash_br, browser_server, "manager", PASSWORD)
    dash_br.wait_for_element("#shell-nav")
    dash_br.driver.get(f"{browser_server}/overview")
    grid = '[id*="overview-health"][id*="dash-grid"]:not([id*="export"]):not([id*="count"])'
    dash_br.wait_for_element(f"{grid} .ag-row", timeout=30)
    cell = dash_br.driver.find_element(By.CSS_SELECTOR, f'{grid} .ag-row[row-id="/tools/T-1"] [col-id="name"]')
    dash_br.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", cell)
    time.sleep(0.3)
    cell.click()
    dash_br.wait_for_contains_text("#tool-identity", "T-1 · Mould one", timeout=30)
    assert dash_br.driver.current_url.endswith("/tools/T-1")
    assert severe_errors(dash_br) == []


def test_technician_reaches_neither_engineer_pages_nor_their_callbacks(dash_br, browser_server, history):
    sign_in(dash_br, browser_server, "technician", PASSWORD)
    dash_br.wait_for_element("#shell-nav")
    assert "Dashboards" not in dash_br.find_element("#shell-nav").text
    for path in ("/overview", "/failures", "/reliability", "/condition", "/actions-board"):
        dash_br.driver.get(f"{browser_server}{path}")
        dash_br.wait_for_element("#forbidden", timeout=30)
    dash_br.driver.get(f"{browser_server}/tools/T-1")  # the mould page of their own site is open to them
    dash_br.wait_for_contains_text("#tool-identity", "T-1", timeout=30)
    body = {"output": "failures-pareto.children", "outputs": {"id": "failures-pareto", "property": "children"},
            "inputs": [{"id": "failures-by", "property": "value", "value": "mode"}], "state": [],
            "changedPropIds": ["failures-by.value"]}
    status = dash_br.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch('/_dash-update-component', {method: 'POST', headers: {'Content-Type': 'application/json'},"
        " body: arguments[0]}).then(r => done(r.status));", json.dumps(body))
    assert status == 403
