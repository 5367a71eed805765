"""Sign-in, sign-out, rate limiting and the idle timeout, through the real routes."""

from __future__ import annotations

import time

from auth.routes import BAD_CREDENTIALS, TOO_MANY
from tests.conftest import PASSWORD


def test_unknown_user_and_wrong_password_get_the_same_message(client, auth, world):
    wrong = auth.login("technician", "not-the-password")
    unknown = auth.login("nobody", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert BAD_CREDENTIALS in wrong.get_data(as_text=True)
    assert BAD_CREDENTIALS in unknown.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_login_redirects_to_next_and_logout_ends_the_session(client, auth, world):
    client.get("/admin/audit")  # remembers where the user wanted to go
    resp = client.post("/login", data={"username": "manager", "password": PASSWORD, "csrf_token": auth.csrf(),
                                       "next": "/admin/audit"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/admin/audit"
    assert client.get("/").status_code == 200
    assert client.get("/_dash-layout").status_code == 200
    out = auth.logout()
    assert out.status_code == 302 and out.headers["Location"] == "/login"
    assert client.get("/").status_code == 302
    assert client.get("/_dash-layout").status_code == 401


def test_login_never_redirects_off_site(client, auth, world):
    resp = client.post("/login", data={"username": "manager", "password": PASSWORD, "csrf_token": auth.csrf(),
                                       "next": "https://evil.example/"})
    assert resp.headers["Location"] == "/"


def test_login_form_needs_its_csrf_token(client, world):
    resp = client.post("/login", data={"username": "manager", "password": PASSWORD})
    assert resp.status_code == 400 and "expired" in resp.get_data(as_text=True)


def test_rate_limit_says_to_wait(client, auth, world):
    for _ in range(5):
        assert auth.login("technician", "nope").status_code == 401
    resp = auth.login("technician", PASSWORD)
    assert resp.status_code == 429
    assert TOO_MANY in resp.get_data(as_text=True)
    # Another user on the same workstation is not locked out by someone else's typos.
    assert auth.login("manager").status_code == 302


def test_idle_timeout_signs_out(client, auth, world, app):
    assert auth.login("technician").status_code == 302
    assert client.get("/").status_code == 200
    idle = app.extensions["toolmaint_config"].session_idle_minutes * 60
    with client.session_transaction() as sess:
        sess["seen"] = time.time() - idle - 5
    resp = client.get("/")
    assert resp.status_code == 302 and "expired=1" in resp.headers["Location"]
    assert client.get("/").status_code == 302


def test_activity_keeps_the_session_but_polling_does_not(client, auth, world, app):
    from tests.conftest import dash_post

    auth.login("technician")
    idle = app.extensions["toolmaint_config"].session_idle_minutes * 60
    old = time.time() - idle + 60
    with client.session_transaction() as sess:
        sess["seen"] = old
    poll = dash_post(client, "..home-cards.children...home-pm-table.children...home-updated.children..",
                     [{"id": "home-refresh", "property": "n_intervals", "value": 3}])
    assert poll.status_code == 200
    with client.session_transaction() as sess:
        assert sess["seen"] == old  # a timer tick is not activity
    client.get("/")
    with client.session_transaction() as sess:
        assert sess["seen"] > old


def test_inactive_user_cannot_sign_in(client, auth, world, ctx):
    from data.models import User

    ctx.get(User, world["users"]["technician"]).is_active = False
    ctx.commit()
    assert auth.login("technician").status_code == 401
