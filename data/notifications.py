"""Notifications: the kinds people can choose, their preferences, the outbox, and delivery with retries.

The outbox holds one row per (event, channel, address), unique in the database, so an event published
twice, or a scheduled round run twice, notifies each person once. Delivery claims a row atomically,
sends outside any transaction, and records the outcome: sent; pending again with exponential backoff
after a transient error; failed after a permanent error or the last attempt (admins see failed rows
on the Status page and can retry them).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from config import Config, get_config
from data import messaging
from data.db import db
from data.models import Channel, Membership, Notification, NotificationStatus, Role, Site, User, utcnow
from data.storage import StorageError, get_storage

logger = logging.getLogger(__name__)

STALE_CLAIM = dt.timedelta(minutes=15)  # a 'sending' row older than this belongs to a worker that died
MAX_BACKOFF = dt.timedelta(hours=6)


@dataclass(frozen=True)
class Kind:
    """Something people can be told about, who may get it, on which channels, and what is on by default."""

    key: str
    label: str
    min_role: Role
    channels: tuple[Channel, ...]
    default: tuple[Channel, ...]


KINDS: dict[str, Kind] = {k.key: k for k in (
    Kind("failure_alert", "A high or critical failure is reported at my sites", Role.MANAGER,
         (Channel.EMAIL, Channel.SMS), (Channel.EMAIL, Channel.SMS)),
    Kind("action_assigned", "An action item is assigned to me", Role.TECHNICIAN, (Channel.EMAIL,), (Channel.EMAIL,)),
    Kind("action_overdue", "An action item I own is overdue", Role.TECHNICIAN, (Channel.EMAIL, Channel.SMS),
         (Channel.EMAIL,)),
    Kind("action_escalation", "An action item at my sites is overdue for several days (escalation)", Role.MANAGER,
         (Channel.EMAIL, Channel.SMS), (Channel.EMAIL,)),
    Kind("pm_digest", "Daily digest of moulds entering PM warning or due", Role.TECHNICIAN, (Channel.EMAIL,),
         (Channel.EMAIL,)),
    Kind("sensor_alert", "A press sensor goes outside its limits at my sites", Role.ENGINEER,
         (Channel.EMAIL, Channel.SMS), ()),
    Kind("weekly_review", "The weekly management review (PDF) of my sites", Role.MANAGER, (Channel.EMAIL,),
         (Channel.EMAIL,)),
)}


class PreferenceError(ValueError):
    """Preferences or contact details are invalid; the message says what to fix."""


# ---------------------------------------------------------------- preferences


def kinds_for(user: User) -> list[Kind]:
    """The kinds this user's role can receive."""
    return [k for k in KINDS.values() if Role(user.role).rank >= k.min_role.rank]


def user_prefs(user: User) -> dict[str, set[Channel]]:
    """The channels the user wants per kind (stored choices over the defaults)."""
    stored = user.notification_prefs or {}
    prefs = {}
    for kind in kinds_for(user):
        chosen = stored.get(kind.key)
        channels = kind.default if chosen is None else [c for c in chosen if c in {ch.value for ch in Channel}]
        prefs[kind.key] = {Channel(c) for c in channels} & set(kind.channels)
    return prefs


def wants(user: User, kind: str, channel: Channel) -> bool:
    """True if user receives kind on channel (role allows it and the user has not opted out)."""
    return channel in user_prefs(user).get(kind, set())


def save_prefs(user: User, choices: dict[str, Iterable[str]]) -> None:
    """Store the user's choices (kind -> channels); unknown kinds or channels are refused. Caller commits."""
    allowed = {k.key: k for k in kinds_for(user)}
    cleaned: dict[str, list[str]] = {}
    for key, channels in choices.items():
        if key not in allowed:
            raise PreferenceError(f"Unknown notification {key!r}.")
        chosen = sorted(set(channels or ()))
        bad = [c for c in chosen if c not in {ch.value for ch in allowed[key].channels}]
        if bad:
            raise PreferenceError(f"{allowed[key].label}: cannot be sent by {', '.join(bad)}.")
        cleaned[key] = chosen
    user.notification_prefs = {**(user.notification_prefs or {}), **cleaned}


def save_contact(user: User, email: str | None, phone: str | None) -> None:
    """Set where the user is reached; blank clears. Caller commits."""
    email = (email or "").strip() or None
    raw_phone = (phone or "").strip()
    phone = messaging.normalize_phone(raw_phone) if raw_phone else None
    if email and not messaging.valid_email(email):
        raise PreferenceError(f"{email!r} is not an e-mail address.")
    if raw_phone and phone is None:
        raise PreferenceError(f"Write the mobile number in international format, e.g. +49 170 1234567 "
                              f"(got {raw_phone!r}).")
    user.email, user.phone = email, phone


def site_users(site_id: int, min_role: Role = Role.TECHNICIAN) -> list[User]:
    """Active members of a site whose role is at least min_role."""
    roles = [r for r in Role if r.rank >= min_role.rank]
    stmt = (select(User).join(Membership, Membership.user_id == User.id)
            .where(Membership.site_id == site_id, User.is_active.is_(True), User.role.in_(roles))
            .order_by(User.username))
    return list(db.session.scalars(stmt).unique())


# ---------------------------------------------------------------- the outbox


@dataclass(frozen=True)
class Message:
    """What one event says: an e-mail subject and body, an SMS text, and an optional stored attachment."""

    subject: str
    body: str
    sms: str = ""
    attachment_key: str | None = None
    attachment_name: str | None = None


def available_channels(cfg: Config | None = None) -> set[Channel]:
    """Channels this installation can deliver on."""
    cfg = cfg or get_config()
    out = set()
    if messaging.email_configured(cfg):
        out.add(Channel.EMAIL)
    if messaging.sms_configured(cfg):
        out.add(Channel.SMS)
    return out


def _insert(row: Notification) -> int | None:
    """Insert and commit one outbox row; None if this (event, channel, address) already exists."""
    exists = db.session.scalar(select(Notification.id).where(
        Notification.event_key == row.event_key, Notification.channel == row.channel,
        Notification.address == row.address))
    if exists is not None:
        return None
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent worker inserted it between the check and the insert
        db.session.rollback()
        return None
    return row.id


def enqueue(kind: str, event_key: str, site_id: int, users: Iterable[User], message: Message,
            extra_emails: Iterable[str] = ()) -> list[int]:
    """Create outbox rows for the users who want kind (and extra addresses); returns the new ids. Commits each."""
    channels = available_channels()
    new: list[int] = []
    now = utcnow()
    targets: list[tuple[Channel, str, int | None]] = []
    for user in users:
        if Channel.EMAIL in channels and user.email and wants(user, kind, Channel.EMAIL):
            targets.append((Channel.EMAIL, user.email, user.id))
        phone = messaging.normalize_phone(user.phone)
        if Channel.SMS in channels and message.sms and phone and wants(user, kind, Channel.SMS):
            targets.append((Channel.SMS, phone, user.id))
    if Channel.EMAIL in channels:
        targets += [(Channel.EMAIL, a, None) for a in extra_emails]
    seen = set()
    for channel, address, user_id in targets:
        if (channel, address.lower()) in seen:
            continue
        seen.add((channel, address.lower()))
        row = Notification(
            site_id=site_id, kind=kind, event_key=event_key, channel=channel, address=address, user_id=user_id,
            subject=message.subject[:200], body=message.sms if channel is Channel.SMS else message.body,
            attachment_key=message.attachment_key if channel is Channel.EMAIL else None,
            attachment_name=message.attachment_name if channel is Channel.EMAIL else None,
            status=NotificationStatus.PENDING, attempts=0, next_attempt_at=now, created_at=now)
        row_id = _insert(row)
        if row_id is not None:
            new.append(row_id)
    if new:
        logger.info("Queued %d %s notification(s) for %s", len(new), kind, event_key)
    return new


def cancel(event_key_prefix: str) -> int:
    """Cancel unsent notifications whose event key starts with the prefix (e.g. an action was closed). Commits."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.event_key.startswith(event_key_prefix, autoescape=True),
               Notification.status == NotificationStatus.PENDING)
        .values(status=NotificationStatus.CANCELLED, last_error="cancelled: no longer applies")
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount or 0


# ---------------------------------------------------------------- delivery


def backoff(attempts: int, cfg: Config | None = None) -> dt.timedelta:
    """Wait before attempt number attempts+1: base, 2x, 4x ... capped at six hours."""
    cfg = cfg or get_config()
    return min(dt.timedelta(seconds=cfg.notify_retry_seconds * 2 ** max(0, attempts - 1)), MAX_BACKOFF)


def _claim(notification_id: int, now: dt.datetime) -> Notification | None:
    """Mark the row as being sent by this worker; None if it is not due or another worker has it."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.status == NotificationStatus.PENDING,
               or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now))
        .values(status=NotificationStatus.SENDING, claimed_at=now)
        .execution_options(synchronize_session=False))
    db.session.commit()
    if result.rowcount != 1:
        return None
    row = db.session.get(Notification, notification_id, populate_existing=True)
    return row


def _send(cfg: Config, row: Notification) -> None:
    if row.channel is Channel.SMS:
        messaging.send_sms(cfg, row.address, row.body)
        return
    attachment = None
    if row.attachment_key:
        try:
            content = get_storage().get(row.attachment_key)
        except StorageError as exc:
            raise messaging.TransientError(f"attachment {row.attachment_key} unavailable: {exc}") from exc
        attachment = messaging.Attachment(row.attachment_name or row.attachment_key.rsplit("/", 1)[-1], content)
    messaging.send_email(cfg, row.address, row.subject, row.body, attachment, name=f"{utcnow():%Y%m%dT%H%M%S}-{row.id}")


def deliver(notification_id: int, now: dt.datetime | None = None) -> NotificationStatus | None:
    """Try to send one notification now; returns its new status (None if it was not due or already taken)."""
    cfg = get_config()
    now = now or utcnow()
    row = _claim(notification_id, now)
    if row is None:
        return None
    error: messaging.SendError | None = None
    try:
        _send(cfg, row)
    except messaging.SendError as exc:
        error = exc
    except Exception as exc:  # a bug must not leave the row claimed forever
        logger.exception("Unexpected error sending notification %s", notification_id)
        error = messaging.TransientError(f"{type(exc).__name__}: {exc}")
    row.attempts += 1
    row.claimed_at = None
    if error is None:
        row.status, row.sent_at, row.last_error, row.next_attempt_at = NotificationStatus.SENT, utcnow(), "", None
    elif isinstance(error, messaging.PermanentError) or row.attempts >= cfg.notify_max_attempts:
        row.status, row.last_error, row.next_attempt_at = NotificationStatus.FAILED, str(error)[:2000], None
        logger.warning("Notification %s to %s failed for good after %d attempt(s): %s", row.id, row.address,
                       row.attempts, error)
    else:
        row.status, row.last_error = NotificationStatus.PENDING, str(error)[:2000]
        row.next_attempt_at = now + backoff(row.attempts, cfg)
        logger.info("Notification %s to %s: attempt %d failed (%s); next at %s", row.id, row.address, row.attempts,
                    error, row.next_attempt_at)
    db.session.commit()
    return row.status


def due_ids(now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Pending notifications whose next attempt is due; also frees claims of workers that died. Commits."""
    now = now or utcnow()
    db.session.execute(
        update(Notification)
        .where(Notification.status == NotificationStatus.SENDING, Notification.claimed_at < now - STALE_CLAIM)
        .values(status=NotificationStatus.PENDING, claimed_at=None)
        .execution_options(synchronize_session=False))
    ids = list(db.session.scalars(
        select(Notification.id)
        .where(Notification.status == NotificationStatus.PENDING,
               or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now))
        .order_by(Notification.next_attempt_at, Notification.id).limit(limit)))
    db.session.commit()
    return ids


def retry_failed(ids: Iterable[int] | None = None) -> list[int]:
    """Put failed notifications (all, or the given ids) back in the queue with fresh attempts. Commits."""
    stmt = select(Notification.id).where(Notification.status == NotificationStatus.FAILED)
    if ids is not None:
        stmt = stmt.where(Notification.id.in_([int(i) for i in ids]))
    chosen = list(db.session.scalars(stmt))
    if chosen:
        db.session.execute(
            update(Notification).where(Notification.id.in_(chosen))
            .values(status=NotificationStatus.PENDING, attempts=0, next_attempt_at=utcnow(), last_error="")
            .execution_options(synchronize_session=False))
    db.session.commit()
    return chosen


# ---------------------------------------------------------------- what admins see


def outbox_counts() -> dict[str, int]:
    """Number of notifications per status."""
    rows = db.session.execute(select(Notification.status, func.count()).group_by(Notification.status)).all()
    counts = {s.value: 0 for s in NotificationStatus}
    counts.update({NotificationStatus(s).value: int(n) for s, n in rows})
    return counts


SORTABLE = {"created_at": Notification.created_at, "attempts": Notification.attempts, "kind": Notification.kind,
            "address": Notification.address}


def notifications_page(statuses: Iterable[str], page: int = 1, per_page: int = 25, sort: str = "created_at",
                       descending: bool = True) -> tuple[list[tuple[Notification, str]], int]:
    """One page of outbox rows with the given statuses (with site codes) and the total count."""
    wanted = [NotificationStatus(s) for s in statuses]
    base = select(Notification, Site.code).join(Site, Site.id == Notification.site_id).where(
        Notification.status.in_(wanted))
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    column = SORTABLE.get(sort, Notification.created_at)
    order = column.desc() if descending else column.asc()
    rows = db.session.execute(base.order_by(order, Notification.id.desc())
                              .offset((max(page, 1) - 1) * per_page).limit(per_page)).all()
    return [(n, code) for n, code in rows], int(total)
