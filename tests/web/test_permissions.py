"""Authorisation on the server: pages, callbacks and routes, per role."""

from __future__ import annotations

import dash
import pytest

from auth.guard import DASH_ROUTER_OUTPUT, DASH_TITLE_OUTPUT
from tests.conftest import dash_post

AUDIT_OUTPUT = "..audit-rows.children...audit-count.children...audit-page.max_value...audit-page.active_page.."
AUDIT_INPUTS = [{"id": "audit-table-filter", "property": "value", "value": None},
                {"id": "audit-page", "property": "active_page", "value": 1}]


def render_page(client, path: str):
    """Ask Dash's page router for a page, as the browser does on navigation."""
    resp = dash_post(client, ".._pages_content.children..._pages_store.data..",
                     [{"id": "_pages_location", "property": "pathname", "value": path},
                      {"id": "_pages_location", "property": "search", "value": ""}])
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_data(as_text=True)


def test_every_callback_declares_an_action(app):
    actions = app.extensions["callback_actions"]
    browser_side = app.extensions["clientside_callbacks"]
    for key in app.dash_app.callback_map:
        assert key in (DASH_ROUTER_OUTPUT, DASH_TITLE_OUTPUT) or key in actions or key in browser_side, \
            f"callback {key} was registered without secured_callback"


def test_every_page_layout_checks_access():
    for page in dash.page_registry.values():
        assert getattr(page["layout"], "required_action", None) == page.get("action"), page["module"]


@pytest.mark.parametrize("role, allowed", [("technician", False), ("engineer", False), ("manager", False),
                                           ("admin", True)])
def test_admin_callback_refused_to_other_roles(client, auth, world, role, allowed):
    auth.login(role)
    resp = dash_post(client, AUDIT_OUTPUT, AUDIT_INPUTS)
    assert resp.status_code == (200 if allowed else 403)
    if not allowed:
        assert "may not" in resp.get_json()["error"]


@pytest.mark.parametrize("role, allowed", [("technician", False), ("admin", True)])
def test_admin_page_shows_a_message_to_other_roles(client, auth, world, role, allowed):
    auth.login(role)
    body = render_page(client, "/admin/audit")
    assert ('"forbidden"' in body) is not allowed
    assert ("audit-rows" in body) is allowed


def layout_hrefs(client) -> set[str]:
    """Every link in the app frame the signed-in user gets."""
    found: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("href"), str):
                found.add(node["href"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(client.get("/_dash-layout").get_json())
    return found


def test_navbar_lists_only_allowed_pages(client, auth, world):
    auth.login("technician")
    assert "/" in layout_hrefs(client) and "/admin/audit" not in layout_hrefs(client)
    auth.logout()
    auth.login("admin")
    assert "/admin/audit" in layout_hrefs(client)


def test_anonymous_callbacks_get_401(client, world):
    assert dash_post(client, AUDIT_OUTPUT, AUDIT_INPUTS).status_code == 401


def test_unknown_and_malformed_callbacks_are_refused(client, auth, world):
    auth.login("admin")
    assert dash_post(client, "secret-thing.children", [{"id": "x", "property": "value", "value": 1}]
                     ).status_code == 403
    bad = client.post("/_dash-update-component", data="{not json", content_type="application/json")
    assert bad.status_code == 400 and "not valid JSON" in bad.get_json()["error"]
    assert client.post("/_dash-update-component", json=[1, 2]).status_code == 400


def test_site_switch_to_a_foreign_site_is_refused(client, auth, world):
    auth.login("technician")
    resp = dash_post(client, "shell-location.href", [{"id": "shell-site", "property": "value",
                                                      "value": world["sites"]["S2"]}],
                     state=[{"id": "shell-location", "property": "href", "value": "http://x/"}])
    assert resp.status_code == 403
