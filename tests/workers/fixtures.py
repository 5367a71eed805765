"""Fixtures for the worker tests and the pages that show their results: a real SMTP server (aiosmtpd), an HTTP
SMS gateway, settings overrides, and users with contact details."""

from __future__ import annotations

import email
import email.policy
import json
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import free_port


class SMTPSink:
    """aiosmtpd handler that keeps every message; addresses in `refuse` get 550, `fail_all` gives 451."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refuse: set[str] = set()
        self.fail_all = False
        self.received = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd API
        if self.fail_all:
            return "451 4.3.0 Try again later"
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(msg)
        self.received.set()
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        """Messages addressed to address."""
        return [m for m in self.messages if m["To"] == address]


class SMTPServer:
    """A real SMTP server on 127.0.0.1 at a free port; start() and stop() simulate an outage."""

    def __init__(self) -> None:
        self.port = free_port()
        self.sink = SMTPSink()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return self.sink.messages


@pytest.fixture
def smtp():
    """A running SMTP server that collects messages."""
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


class SMSGateway:
    """An HTTP receiver standing in for an SMS gateway: records JSON posts and answers with `status`."""

    def __init__(self) -> None:
        self.posts: list[dict] = []
        self.headers: list[dict] = []
        self.status = 200
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                gateway.headers.append(dict(self.headers))
                if gateway.status < 300:
                    gateway.posts.append(json.loads(body))
                self.send_response(gateway.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}' if gateway.status < 300 else b'{"error": "refused"}')

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sms():
    """A running SMS gateway receiver."""
    gateway = SMSGateway()
    yield gateway
    gateway.close()


@pytest.fixture
def settings(app):
    """Change settings for one test: settings(smtp_host=..., ...); the old ones come back afterwards."""
    from config import get_config, set_config

    original = get_config()

    def apply(**changes):
        set_config(replace(get_config(), **changes))
        return get_config()

    yield apply
    set_config(original)


@pytest.fixture
def mail(settings, smtp, sms):
    """E-mail through the test SMTP server and SMS through the test gateway."""
    settings(smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_security="none", mail_outbox_dir=None,
             sms_gateway_url=sms.url, sms_gateway_token="gw-secret", notify_retry_seconds=60, notify_max_attempts=4)
    return smtp, sms


@pytest.fixture
def contacts(app, world):
    """Give every world user an e-mail address (name@plant.test) and the manager a mobile number."""
    from sqlalchemy import select

    from data.db import db
    from data.models import User
    from data.scope import system_scope

    with app.app_context(), system_scope():
        for user in db.session.scalars(select(User)):
            user.email = f"{user.username}@plant.test"
        db.session.get(User, world["users"]["manager"]).phone = "+49 1700 0000001"  # as typed on the Users page
        db.session.commit()
        db.session.remove()
    return world
