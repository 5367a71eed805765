"""Sending messages: e-mail through SMTP (or into an outbox directory in demo mode) and SMS through an HTTP gateway.

Errors say whether trying again can help: TransientError (connection refused, timeouts, 4xx SMTP replies,
5xx from the gateway) is retried with backoff by the outbox; PermanentError (a refused address, a 5xx
SMTP reply, a 4xx from the gateway) is not.
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import httpx

from config import Config

logger = logging.getLogger(__name__)

EMAIL_RE = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
PHONE_RE = re.compile(r"^\+[1-9][0-9]{6,14}$")  # E.164
SMS_MAX = 160


class SendError(RuntimeError):
    """A message could not be sent."""


class TransientError(SendError):
    """Sending failed in a way that may pass (server down, timeout, try-later reply)."""


class PermanentError(SendError):
    """Sending failed in a way that will not pass by trying again (bad address, refused)."""


@dataclass(frozen=True)
class Attachment:
    """A file attached to an e-mail."""

    filename: str
    content: bytes
    mimetype: str = "application/pdf"


def email_configured(cfg: Config) -> bool:
    """True when e-mail can be delivered (an SMTP server or an outbox directory is set)."""
    return bool(cfg.smtp_host or cfg.mail_outbox_dir)


def sms_configured(cfg: Config) -> bool:
    """True when an SMS gateway is set."""
    return bool(cfg.sms_gateway_url)


def valid_email(address: str) -> bool:
    """A plausible single e-mail address."""
    return bool(EMAIL_RE.match(address or ""))


def normalize_phone(number: str | None) -> str | None:
    """'+49 (170) 123-4567' -> '+491701234567'; None unless it is an international number."""
    if not number:
        return None
    compact = re.sub(r"[\s()./-]", "", number)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    return compact if PHONE_RE.match(compact) else None


def valid_phone(number: str) -> bool:
    """A phone number in international format (+ and 7-15 digits, spaces and dashes allowed)."""
    return normalize_phone(number) is not None


def build_email(cfg: Config, to: str, subject: str, body: str, attachment: Attachment | None = None) -> EmailMessage:
    """The message as it will be sent (also what the outbox directory keeps)."""
    msg = EmailMessage()
    msg["From"] = cfg.mail_from
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=cfg.mail_from.rpartition("@")[2].strip("> ") or None)
    msg["Auto-Submitted"] = "auto-generated"  # tells autoresponders not to reply
    msg.set_content(body)
    if attachment is not None:
        maintype, _, subtype = attachment.mimetype.partition("/")
        msg.add_attachment(attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename)
    return msg


def _write_outbox(directory: Path, msg: EmailMessage, name: str) -> Path:
    """Write the message as an .eml file atomically (a reader never sees half a message)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.eml"
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(msg.as_bytes())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _smtp_send(cfg: Config, msg: EmailMessage) -> None:
    context = ssl.create_default_context()
    cls = smtplib.SMTP_SSL if cfg.smtp_security == "ssl" else smtplib.SMTP
    kwargs = {"context": context} if cfg.smtp_security == "ssl" else {}
    with cls(cfg.smtp_host, cfg.smtp_port, timeout=cfg.smtp_timeout, **kwargs) as smtp:
        if cfg.smtp_security == "starttls":
            smtp.starttls(context=context)
        if cfg.smtp_user:
            smtp.login(cfg.smtp_user, cfg.smtp_password)
        smtp.send_message(msg)


def send_email(cfg: Config, to: str, subject: str, body: str, attachment: Attachment | None = None,
               name: str = "message") -> str:
    """Send one e-mail; returns where it went. Raises TransientError or PermanentError."""
    if not valid_email(to):
        raise PermanentError(f"not an e-mail address: {to!r}")
    msg = build_email(cfg, to, subject, body, attachment)
    if cfg.mail_outbox_dir and not cfg.smtp_host:
        return str(_write_outbox(Path(cfg.mail_outbox_dir), msg, name))
    if not cfg.smtp_host:
        raise PermanentError("e-mail is not configured (set SMTP_HOST, or MAIL_OUTBOX_DIR)")
    try:
        _smtp_send(cfg, msg)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _text in exc.recipients.values()]
        error = PermanentError if codes and all(c >= 500 for c in codes) else TransientError
        raise error(f"the SMTP server refused {to}: {exc.recipients}") from exc
    except smtplib.SMTPAuthenticationError as exc:
        raise TransientError(f"SMTP login failed ({exc.smtp_code}); check SMTP_USER and SMTP_PASSWORD") from exc
    except smtplib.SMTPResponseException as exc:
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        error = PermanentError if 500 <= exc.smtp_code < 600 else TransientError
        raise error(f"SMTP server replied {exc.smtp_code} {text}") from exc
    except (OSError, smtplib.SMTPException) as exc:  # refused, unreachable, timeout, dropped connection
        raise TransientError(f"SMTP server {cfg.smtp_host}:{cfg.smtp_port} unavailable: {exc}") from exc
    return f"smtp://{cfg.smtp_host}:{cfg.smtp_port}"


def sms_text(text: str) -> str:
    """Fit a text into one SMS."""
    text = " ".join(text.split())
    return text if len(text) <= SMS_MAX else text[: SMS_MAX - 1] + "…"


def send_sms(cfg: Config, to: str, text: str) -> str:
    """POST {"from", "to", "text"} as JSON to the gateway (bearer token if set). Raises Transient/PermanentError."""
    if not cfg.sms_gateway_url:
        raise PermanentError("SMS is not configured (set SMS_GATEWAY_URL)")
    number = normalize_phone(to)
    if number is None:
        raise PermanentError(f"not an international phone number: {to!r}")
    headers = {"Authorization": f"Bearer {cfg.sms_gateway_token}"} if cfg.sms_gateway_token else {}
    payload = {"from": cfg.sms_sender, "to": number, "text": sms_text(text)}
    try:
        resp = httpx.post(cfg.sms_gateway_url, json=payload, headers=headers, timeout=cfg.smtp_timeout)
    except httpx.HTTPError as exc:
        raise TransientError(f"SMS gateway unavailable: {exc}") from exc
    if resp.status_code >= 500 or resp.status_code in (408, 429):
        raise TransientError(f"SMS gateway replied {resp.status_code}: {resp.text[:200]}")
    if resp.status_code >= 400:
        raise PermanentError(f"SMS gateway refused the message ({resp.status_code}): {resp.text[:200]}")
    return cfg.sms_gateway_url
