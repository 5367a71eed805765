"""Each user's notification settings: reachable from the user menu, saved whole or not at all."""

from __future__ import annotations

from data.models import User
from data.notifications import user_prefs
from tests.conftest import dash_post
from tests.web.test_permissions import layout_hrefs, render_page

SAVE_OUT = "notifications-feedback.children"


def save(client, email, phone, choices: dict[str, list[str]]):
    state = [{"id": "notifications-email", "property": "value", "value": email},
             {"id": "notifications-phone", "property": "value", "value": phone},
             [{"id": {"type": "notifications-choice", "kind": k}, "property": "value", "value": v}
              for k, v in choices.items()]]
    return dash_post(client, SAVE_OUT, [{"id": "notifications-save", "property": "n_clicks", "value": 1}], state)


def test_user_menu_links_to_the_settings_and_the_page_lists_the_roles_kinds(client, auth, world):
    auth.login("technician")
    assert "/account/notifications" in layout_hrefs(client)
    body = render_page(client, "/account/notifications")
    assert "An action item I own is overdue" in body and "Daily digest of moulds" in body
    assert "high or critical failure" not in body  # a manager's notification
    auth.logout()
    auth.login("manager")
    assert "A high or critical failure is reported at my sites" in render_page(client, "/account/notifications")


def test_saving_contact_details_and_choices(client, auth, ctx, world):
    auth.login("manager")
    resp = save(client, "morgan@plant.test", "+49 170 1234567",
                {"failure_alert": ["sms"], "pm_digest": [], "weekly_review": ["email"]})
    assert resp.status_code == 200 and "Saved" in resp.get_data(as_text=True)
    ctx.expire_all()
    user = ctx.get(User, world["users"]["manager"])
    assert (user.email, user.phone) == ("morgan@plant.test", "+491701234567")
    prefs = user_prefs(user)
    assert prefs["failure_alert"] == {"sms"} and prefs["pm_digest"] == set() and prefs["weekly_review"] == {"email"}
    assert prefs["action_overdue"] == {"email"}  # untouched kinds keep their defaults


def test_a_bad_phone_number_saves_nothing(client, auth, ctx, world):
    auth.login("technician")
    resp = save(client, "toni@plant.test", "0170 1234", {"pm_digest": []})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "international format" in text and "notifications-error" in text
    ctx.expire_all()
    user = ctx.get(User, world["users"]["technician"])
    assert user.email is None and user.notification_prefs in ({}, None)


def test_a_forged_choice_is_refused(client, auth, ctx, world):
    auth.login("technician")
    text = save(client, "", "", {"failure_alert": ["email"]}).get_data(as_text=True)
    assert "Unknown notification" in text
    text = save(client, "", "", {"pm_digest": ["sms"]}).get_data(as_text=True)
    assert "cannot be sent by sms" in text


def test_anonymous_cannot_save(client, world):
    assert save(client, "x@y.z", "", {}).status_code == 401
