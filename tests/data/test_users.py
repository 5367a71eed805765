"""Users: argon2 hashes, password rules, duplicate names, the create-user command."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from data.models import AuditEntry, User
from data.passwords import WeakPassword, check_strength, hash_password, verify_password
from data.users import UserError, authenticate, create_site, create_user


def test_hash_is_argon2_and_verifies():
    h = hash_password("Correct-Horse-42")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "Correct-Horse-42") and not verify_password(h, "correct-horse-42")
    assert not verify_password(None, "anything")


@pytest.mark.parametrize("password, message", [
    ("short1!", "too short"), ("password123", "too easy"), ("aaaaaaaaaaaa", "too easy"),
    ("xx-alice-2026-xx", "user name"),
])
def test_weak_passwords_are_refused(password, message):
    with pytest.raises(WeakPassword, match=message):
        check_strength(password, "alice")


def test_create_user_and_authenticate(ctx):
    create_site("S1", "Site One")
    user = create_user("Alice", "Correct-Horse-42", "engineer", ["S1"])
    ctx.commit()
    assert user.username == "alice" and user.site_ids == {user.memberships[0].site_id}
    assert authenticate("ALICE", "Correct-Horse-42").id == user.id
    assert authenticate("alice", "wrong") is None and authenticate("bob", "Correct-Horse-42") is None
    audit = ctx.scalars(select(AuditEntry).where(AuditEntry.table_name == "users")).all()
    assert audit and audit[0].new["password_hash"] == "***"


def test_duplicates_unknown_sites_and_roles_are_refused(ctx):
    create_site("S1", "Site One")
    create_user("alice", "Correct-Horse-42")
    with pytest.raises(UserError, match="already exists"):
        create_user("Alice", "Correct-Horse-42")
    with pytest.raises(UserError, match="Unknown site code"):
        create_user("bob", "Correct-Horse-42", site_codes=["NOPE"])
    with pytest.raises(UserError, match="Unknown role"):
        create_user("carol", "Correct-Horse-42", role="boss")
    with pytest.raises(UserError, match="User name must be"):
        create_user("x y", "Correct-Horse-42")
    with pytest.raises(UserError, match="already exists"):
        create_site("S1", "Again")


def test_create_user_command(app, ctx):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["create-site", "S1", "Site One"]).exit_code == 0
    ok = runner.invoke(args=["create-user", "dana", "--role", "manager", "--site", "S1",
                             "--password", "Correct-Horse-42"])
    assert ok.exit_code == 0, ok.output
    assert "Created manager 'dana'" in ok.output
    weak = runner.invoke(args=["create-user", "erin", "--password", "demo"])
    assert weak.exit_code != 0 and "too short" in weak.output
    dup = runner.invoke(args=["create-user", "dana", "--password", "Correct-Horse-42"])
    assert dup.exit_code != 0 and "already exists" in dup.output
    ctx.expire_all()
    assert [u.username for u in ctx.scalars(select(User))] == ["dana"]
