"""Command-line tools: `flask --app app create-user | create-site | seed-demo`."""

from __future__ import annotations

import click
from flask import Flask

from data.db import db
from data.models import Role
from data.passwords import WeakPassword
from data.scope import system_scope
from data.tokens import SCOPES, TokenError, create_token, revoke_token
from data.users import UserError, create_site, create_user


@click.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.TECHNICIAN.value, show_default=True)
@click.option("--site", "sites", multiple=True, help="Site code the user belongs to (repeat for several).")
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--email", default=None)
@click.password_option(help="Password (prompted when not given).")
def create_user_command(username, role, sites, display_name, email, password):
    """Create a user with a role and site memberships."""
    with system_scope():
        try:
            user = create_user(username, password, role, sites, display_name, email)
            db.session.commit()
        except (UserError, WeakPassword) as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
    click.echo(f"Created {user.role} {user.username!r} (sites: {', '.join(sites) or 'none'}).")


@click.command("create-site")
@click.argument("code")
@click.argument("name")
@click.option("--timezone", default="UTC", show_default=True)
def create_site_command(code, name, timezone):
    """Create a site (a plant)."""
    with system_scope():
        try:
            create_site(code, name, timezone)
            db.session.commit()
        except UserError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
    click.echo(f"Created site {code!r}.")


@click.command("seed-demo")
@click.option("--months", default=12, show_default=True, help="Months of shot history to generate.")
@click.option("--seed", default=7, show_default=True, help="Random seed (same seed, same data).")
def seed_demo_command(months, seed):
    """Fill an empty database with a realistic demo data set and the demo accounts."""
    from data.demo import DemoExists, seed_demo

    with system_scope():
        try:
            summary = seed_demo(months=months, seed=seed, progress=click.echo)
        except DemoExists as exc:
            db.session.rollback()
            click.echo(str(exc))
            return
    click.echo(summary)


token_cli = click.Group("token", help="Service-account tokens for edge processes and exports.")


@token_cli.command("create")
@click.argument("name")
@click.option("--site", required=True, help="Site code the token may write to and read from.")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(SCOPES), default=("ingest",), show_default=True)
def token_create_command(name, site, scopes):
    """Create a token; its secret is printed once and only its hash is kept."""
    with system_scope():
        try:
            token, raw = create_token(name, site, list(scopes))
            db.session.commit()
        except TokenError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
    click.echo(f"Token {token.name!r} for site {site} ({token.scopes}). Store it now; it is not shown again:")
    click.echo(raw)


@token_cli.command("revoke")
@click.argument("name")
def token_revoke_command(name):
    """Revoke a token by name."""
    with system_scope():
        try:
            revoke_token(name)
            db.session.commit()
        except TokenError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
    click.echo(f"Token {name!r} revoked.")


@token_cli.command("list")
def token_list_command():
    """List tokens (names, sites, scopes, last use; never secrets)."""
    from sqlalchemy import select

    from data.models import ServiceToken, Site

    with system_scope():
        rows = db.session.execute(select(ServiceToken, Site.code).join(Site).order_by(ServiceToken.name)).all()
    for t, code in rows:
        state = "revoked" if t.revoked_at else "active"
        used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
        click.echo(f"{t.name:24} {code:8} {t.scopes:14} {t.prefix}…  {state:8} last used {used}")


def init_app(server: Flask) -> None:
    """Register the commands on the Flask CLI."""
    for command in (create_user_command, create_site_command, seed_demo_command, token_cli):
        server.cli.add_command(command)
    from workers.cli import init_app as worker_commands  # backup, restore, selfcheck, send-test-mail, review

    worker_commands(server)
