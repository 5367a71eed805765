"""The form and master-data pages per role, and their callbacks called like the browser does."""

from __future__ import annotations

import json

import pytest

from tests.conftest import dash_post
from tests.web.test_permissions import render_page


def post_callback(client, key: str, inputs: list[dict]):
    """POST a callback whose outputs have dict ids (the shared helper only knows string ids)."""
    outputs = []
    for part in key.strip(".").split("..."):
        cid, prop = part.rsplit(".", 1)
        outputs.append({"id": json.loads(cid) if cid.startswith("{") else cid, "property": prop})
    return client.post("/_dash-update-component", json={
        "output": key, "outputs": outputs, "inputs": inputs, "state": [],
        "changedPropIds": [f"{json.dumps(i['id'], separators=(',', ':'))}.{i['property']}" for i in inputs]})


def output_key(app, needle: str) -> str:
    """The callback_map key of the callback whose outputs include needle."""
    keys = [k for k in app.dash_app.callback_map if needle in k]
    assert keys, needle
    return min(keys, key=len)


@pytest.mark.parametrize("path, marker", [("/record/maintenance", "maintenance-form"),
                                          ("/record/failure", "failure-form"), ("/actions", "actions-rows")])
def test_technician_pages_render_with_their_forms(client, auth, world, path, marker):
    auth.login("technician")
    body = render_page(client, path)
    assert marker in body and '"forbidden"' not in body


def find_spec(node):
    """The data-spec of the first form island in a rendered layout."""
    if isinstance(node, dict):
        if "data-spec" in node:
            return json.loads(node["data-spec"])
        node = list(node.values())
    if isinstance(node, list):
        for child in node:
            found = find_spec(child)
            if found:
                return found
    return None


def test_form_spec_lists_only_the_users_site(client, auth, world):
    auth.login("technician")
    spec = find_spec(json.loads(render_page(client, "/record/maintenance")))
    assert [m["code"] for m in spec["ref"]["moulds"]] == ["T-1"]  # T-2 is at site 2
    assert spec["limits"]["max_bytes"] == 20 * 1024 * 1024 and spec["url"] == "/api/v1/maintenance-logs"


@pytest.mark.parametrize("path, role, allowed", [
    ("/manage/moulds", "technician", False), ("/manage/moulds", "manager", True),
    ("/manage/mounting", "engineer", False), ("/manage/import-moulds", "manager", True),
    ("/manage/failure-codes", "manager", False), ("/manage/failure-codes", "admin", True),
    ("/manage/pm-templates", "manager", False), ("/admin/users", "manager", False), ("/admin/users", "admin", True),
])
def test_master_data_pages_by_role(client, auth, world, path, role, allowed):
    auth.login(role)
    assert ('"forbidden"' in render_page(client, path)) is not allowed


def test_mould_list_callback_refused_to_a_technician_and_paged_for_a_manager(app, client, auth, world):
    key = output_key(app, '"crud":"moulds","part":"rows"')
    inputs = [{"id": {"crud": "moulds", "part": "search"}, "property": "value", "value": ""},
              {"id": {"crud": "moulds", "part": "sort"}, "property": "value", "value": "-code"},
              {"id": {"crud": "moulds", "part": "page"}, "property": "active_page", "value": 1},
              {"id": {"crud": "moulds", "part": "refresh"}, "property": "data", "value": None}]
    auth.login("technician")
    assert post_callback(client, key, inputs).status_code == 403
    auth.logout()
    auth.login("manager")
    resp = post_callback(client, key, inputs)
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert text.index("T-2") < text.index("T-1") and "2 moulds" in text


def test_actions_list_callback_shows_my_actions(app, client, auth, world):
    auth.login("technician")
    created = client.post("/api/v1/action-items", headers={"X-Requested-With": "toolmaint"},
                          json={"mould_id": world["moulds"]["S1"], "title": "Check vents",
                                "owner_id": world["users"]["technician"], "client_key": "act-pages-0001"})
    assert created.status_code == 201
    key = output_key(app, "actions-rows.children")
    inputs = [{"id": "actions-show", "property": "value", "value": "mine"},
              {"id": "actions-search", "property": "value", "value": ""},
              {"id": "actions-sort", "property": "value", "value": "due"},
              {"id": "actions-page", "property": "active_page", "value": 1},
              {"id": "actions-refresh", "property": "data", "value": None}]
    resp = dash_post(client, key, inputs)
    assert resp.status_code == 200 and "Check vents" in resp.get_data(as_text=True)
