"""Service tokens: created and revoked from the CLI, stored hashed, scoped to a site and to uses."""

from __future__ import annotations

from sqlalchemy import select

from data.models import ServiceToken
from data.tokens import authenticate_token


def test_token_lifecycle_through_the_cli(app, ctx, world):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["token", "create", "press-gw-1", "--site", "S1", "--scope", "ingest"])
    assert out.exit_code == 0, out.output
    raw = out.output.strip().splitlines()[-1]
    assert raw.startswith("tm_") and len(raw) > 40
    stored = ctx.scalar(select(ServiceToken).where(ServiceToken.name == "press-gw-1"))
    assert stored.token_hash != raw and raw not in stored.token_hash and stored.site_id == world["sites"]["S1"]

    token = authenticate_token(raw, "ingest")
    assert token is not None and token.site_id == world["sites"]["S1"]
    assert authenticate_token(raw, "export") is None  # not allowed that use
    assert authenticate_token(raw[:-1] + ("A" if raw[-1] != "A" else "B"), "ingest") is None

    listed = runner.invoke(args=["token", "list"])
    assert "press-gw-1" in listed.output and raw not in listed.output
    dup = runner.invoke(args=["token", "create", "press-gw-1", "--site", "S1"])
    assert dup.exit_code != 0 and "already exists" in dup.output
    bad_site = runner.invoke(args=["token", "create", "x", "--site", "NOPE"])
    assert bad_site.exit_code != 0 and "Unknown site" in bad_site.output

    assert runner.invoke(args=["token", "revoke", "press-gw-1"]).exit_code == 0
    assert authenticate_token(raw, "ingest") is None
    assert runner.invoke(args=["token", "revoke", "nope"]).exit_code != 0
