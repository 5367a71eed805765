"""Service-account tokens: create (the secret is shown once), revoke, and authenticate by SHA-256."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select

from data.db import db
from data.models import ServiceToken, Site, utcnow
from data.scope import system_scope

SCOPES = ("ingest", "export", "metrics")
TOKEN_PREFIX = "tm_"


class TokenError(ValueError):
    """A token could not be created or revoked; the message says why."""


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(
    name: str, site_code: str, scopes: list[str] | tuple[str, ...] = ("ingest",)
) -> tuple[ServiceToken, str]:
    """Create a token for one site; returns the row and the secret (never stored)."""
    name = name.strip()
    if not name:
        raise TokenError("A token needs a name.")
    bad = sorted(set(scopes) - set(SCOPES))
    if bad or not scopes:
        raise TokenError(f"Unknown scope(s) {', '.join(bad) or '(none)'}: use {', '.join(SCOPES)}.")
    site = db.session.scalar(select(Site).where(Site.code == site_code))
    if site is None:
        raise TokenError(f"Unknown site code {site_code!r}.")
    if db.session.scalar(select(ServiceToken.id).where(ServiceToken.name == name)) is not None:
        raise TokenError(f"A token named {name!r} already exists.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ServiceToken(name=name, site_id=site.id, prefix=raw[:10], token_hash=_digest(raw),
                         scopes=",".join(sorted(set(scopes))))
    db.session.add(token)
    db.session.flush()
    return token, raw


def revoke_token(name: str) -> ServiceToken:
    """Revoke a token by name; it stops working at once."""
    token = db.session.scalar(select(ServiceToken).where(ServiceToken.name == name))
    if token is None:
        raise TokenError(f"No token named {name!r}.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token


def authenticate_token(raw: str, scope: str) -> ServiceToken | None:
    """The live token with this secret and scope, else None; records when it was last used."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    digest = _digest(raw)
    with system_scope():  # the token decides the scope, so it is looked up before one exists
        token = db.session.scalar(select(ServiceToken).where(ServiceToken.token_hash == digest))
        if token is None or not hmac.compare_digest(token.token_hash, digest):
            return None
        if token.revoked_at is not None or scope not in token.scope_list:
            return None
        token.last_used_at = utcnow()
        db.session.commit()
    return token
