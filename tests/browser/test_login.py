"""In headless Chromium: a technician signs in, sees the home numbers for their site, signs out."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

pytestmark = pytest.mark.browser


def sign_in(br, base: str, username: str, password: str) -> None:
    """Fill the real sign-in form and wait until the app has answered it: a navigation made before the
    POST completes would race the session cookie and land back on the sign-in page."""
    from selenium.webdriver.support.ui import WebDriverWait

    br.driver.get(f"{base}/login")
    br.wait_for_element("#username").send_keys(username)
    br.find_element("#password").send_keys(password)
    br.find_element("#login-submit").click()
    WebDriverWait(br.driver, 30, poll_frequency=0.1).until(
        lambda d: "/login" not in d.current_url and d.execute_script("return document.readyState") == "complete")


def test_technician_signs_in_sees_numbers_and_signs_out(dash_br, browser_server, world):
    from tests.conftest import PASSWORD

    sign_in(dash_br, browser_server, "technician", PASSWORD)
    dash_br.wait_for_contains_text("#home-pm-due", "1 in warning band")  # T-1 is at 95% of its interval
    assert dash_br.find_element("#home-pm-due-value").text == "0"
    dash_br.wait_for_contains_text("#home-pm-rows", "T-1")
    assert "T-2" not in dash_br.find_element("#home-pm-rows").text  # site 2's mould stays hidden
    assert "WARNING" in dash_br.find_element("#home-pm-rows").text
    errors = [e for e in dash_br.driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []

    dash_br.find_element("#shell-user-menu").click()
    dash_br.wait_for_element("#shell-logout").click()
    dash_br.wait_for_element("#login-form")
    assert "signed out" in dash_br.driver.find_element(By.TAG_NAME, "body").text
    dash_br.driver.get(f"{browser_server}/")
    dash_br.wait_for_element("#login-form")
