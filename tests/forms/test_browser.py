"""In headless Chromium with the fake camera: a failure report with a photo, a maintenance log made offline
(kept, reloaded offline, sent exactly once when back online), and bad photos refused with a message."""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import func, select

from data.db import db
from data.models import FailureReport, MaintenanceLog, Photo, PhotoStatus
from data.scope import system_scope
from tests.browser.test_login import sign_in
from tests.conftest import PASSWORD
from tests.forms.conftest import big_png

pytestmark = pytest.mark.browser


def wait(br, condition, timeout=20):
    return WebDriverWait(br.driver, timeout, poll_frequency=0.2).until(condition)


def el(br, element_id):
    return wait(br, lambda d: d.find_element(By.ID, element_id))


def click(br, element_id):
    """Scroll a control into view and tap it."""
    element = el(br, element_id)
    br.driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click()", element)


def text_of(br, element_id) -> str:
    return el(br, element_id).text


def db_count(app, model, **where) -> int:
    with app.app_context(), system_scope():
        stmt = select(func.count()).select_from(model)
        for k, v in where.items():
            stmt = stmt.where(getattr(model, k) == v)
        return db.session.scalar(stmt)


def take_photo(br, form: str) -> None:
    """Open the camera (Chromium's fake device), capture, keep the photo."""
    click(br, f"{form}-photos-camera")
    wait(br, lambda d: d.execute_script(
        "const v = document.getElementById('tm-camera-video'); return v && v.videoWidth > 0"))
    click(br, "tm-camera-capture")
    click(br, "tm-camera-use")
    wait(br, lambda d: d.execute_script(
        f"const i = document.querySelector('#{form}-photos-list img'); return i && i.complete && i.naturalWidth > 0"))


def set_offline(br, offline: bool) -> None:
    """DevTools network emulation: the page sees navigator.onLine change and its requests fail."""
    br.driver.execute_cdp_cmd("Network.enable", {})
    br.driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})


def test_failure_report_with_a_camera_photo(app, dash_br, browser_server, world, code_id):
    sign_in(dash_br, browser_server, "technician", PASSWORD)
    dash_br.driver.get(f"{browser_server}/record/failure")
    Select(el(dash_br, "failure-mould-id")).select_by_visible_text("T-1 · Mould one · S1")
    Select(el(dash_br, "failure-failure-code-id-mode")).select_by_visible_text("Water leak")
    # one code matches: mechanism, cause and component are chosen, and the severity follows the code
    wait(dash_br, lambda d: "WL-CO-CC" in d.find_element(By.ID, "failure-failure-code-id-code").text)
    assert el(dash_br, "failure-severity-2").is_selected()  # high
    el(dash_br, "failure-description").send_keys("Water on the fixed half")
    take_photo(dash_br, "failure")
    click(dash_br, "failure-submit")
    wait(dash_br, lambda d: "saved" in d.find_element(By.ID, "failure-status").text)
    wait(dash_br, lambda d: d.find_elements(By.CSS_SELECTOR, "#failure-saved-photos img[data-photo-id]"))
    assert db_count(app, FailureReport) == 1
    assert db_count(app, Photo, status=PhotoStatus.READY) == 1
    with app.app_context(), system_scope():
        photo = db.session.scalar(select(Photo))
        report = db.session.scalar(select(FailureReport))
        assert photo.failure_report_id == report.id and photo.width * photo.height >= 640 * 480
        assert report.severity.value == "high"


def test_offline_log_with_photo_survives_a_reload_and_is_sent_once(app, dash_br, flaky_server, world,
                                                                   storage_files):
    base = flaky_server.url
    sign_in(dash_br, base, "technician", PASSWORD)
    dash_br.driver.get(f"{base}/record/maintenance")
    el(dash_br, "maintenance-mould-id")
    ready = "return !!(navigator.serviceWorker && navigator.serviceWorker.controller) && tmOffline.state.shellCached"
    try:
        wait(dash_br, lambda d: d.execute_script(ready), timeout=30)
    except Exception:
        state = dash_br.driver.execute_script(
            "return {controller: !!(navigator.serviceWorker && navigator.serviceWorker.controller),"
            " shell: window.tmOffline && tmOffline.state.shellCached}")
        pytest.fail(f"the app shell was not cached for offline use: {state}; console: "
                    f"{dash_br.driver.get_log('browser')}")

    flaky_server.stop()  # the Wi-Fi is gone: nothing reaches the server (not even the service worker)
    set_offline(dash_br, True)
    wait(dash_br, lambda d: "offline" in d.find_element(By.ID, "tm-offline-banner").text)
    Select(el(dash_br, "maintenance-mould-id")).select_by_visible_text("T-1 · Mould one · S1")
    click(dash_br, "maintenance-kind-1")  # corrective
    el(dash_br, "maintenance-work-done").send_keys("Replaced two ejector pins")
    take_photo(dash_br, "maintenance")
    click(dash_br, "maintenance-submit")
    wait(dash_br, lambda d: "kept on this device" in d.find_element(By.ID, "maintenance-status").text)
    wait(dash_br, lambda d: d.find_element(By.ID, "tm-offline-banner").get_attribute("data-queue") == "1")

    el(dash_br, "maintenance-notes").send_keys("half-typed note")  # a draft of the next log
    time.sleep(0.6)
    dash_br.driver.refresh()  # reload while offline: the service worker serves the app shell
    wait(dash_br, lambda d: d.find_elements(By.ID, "maintenance-notes"), timeout=30)
    wait(dash_br, lambda d: d.find_element(By.ID, "maintenance-notes").get_attribute("value") == "half-typed note")
    wait(dash_br, lambda d: d.find_element(By.ID, "tm-offline-banner").get_attribute("data-queue") == "1")
    assert db_count(app, MaintenanceLog) == 0

    flaky_server.start()
    set_offline(dash_br, False)
    wait(dash_br, lambda d: d.find_element(By.ID, "tm-offline-banner").get_attribute("data-queue") == "0", timeout=60)
    dash_br.driver.execute_script("window.tmOffline.processQueue()")  # a second replay must not add anything
    time.sleep(1)
    assert db_count(app, MaintenanceLog) == 1
    with app.app_context(), system_scope():
        log = db.session.scalar(select(MaintenanceLog))
        photos = db.session.scalars(select(Photo)).all()
        assert log.work_done == "Replaced two ejector pins" and log.kind.value == "corrective"
        assert [p.maintenance_log_id for p in photos] == [log.id]
    assert len(storage_files()) == 3  # original, web size, thumbnail of the one photo


@pytest.mark.parametrize("name, content, message", [
    ("holiday.jpg", b"this is a text file, not a photo\n" * 40, "not a photo"),
    ("huge.png", big_png(20_000, 20_000), "20,000 × 20,000 pixels"),
    ("big.jpg", b"\xff\xd8\xff\xe0" + b"\0" * (30 * 1024 * 1024), "30.0 MB"),
])
def test_bad_photos_are_refused_with_a_message_and_nothing_is_stored(app, dash_br, browser_server, world,
                                                                     storage_files, tmp_path, name, content,
                                                                     message):
    path = tmp_path / name
    path.write_bytes(content)
    sign_in(dash_br, browser_server, "technician", PASSWORD)
    dash_br.driver.get(f"{browser_server}/record/maintenance")
    Select(el(dash_br, "maintenance-mould-id")).select_by_visible_text("T-1 · Mould one · S1")
    click(dash_br, "maintenance-kind-1")
    el(dash_br, "maintenance-work-done").send_keys("Cleaned vents")
    el(dash_br, "maintenance-photos-file").send_keys(str(path))
    if name == "holiday.jpg":  # the browser cannot tell: the server checks the content when it is sent
        wait(dash_br, lambda d: d.find_elements(By.CSS_SELECTOR, "#maintenance-photos-list img"))
        click(dash_br, "maintenance-submit")
    wait(dash_br, lambda d: message in d.find_element(By.ID, "maintenance-photos-error").text, timeout=30)
    assert el(dash_br, "maintenance-work-done").get_attribute("value") == "Cleaned vents"  # what was typed stays
    assert db_count(app, Photo) == 0 and db_count(app, MaintenanceLog) == 0
    assert storage_files() == []
