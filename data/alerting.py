"""What each event tells whom: failure alerts, action items (assigned, overdue, escalated), the daily PM
digest and sensor alerts. Each rule writes a message and hands its recipients to the outbox; the outbox
keys make every rule safe to run again.
"""

from __future__ import annotations

import datetime as dt
import logging

import pandas as pd
from sqlalchemy import select

from config import get_config
from data.db import db
from data.home import mould_pm_table
from data.models import (
    ActionItem,
    ActionStatus,
    FailureReport,
    Mould,
    PMBandState,
    Press,
    Role,
    Sensor,
    SensorAlert,
    Severity,
    Site,
    User,
    utcnow,
)
from data.notifications import Message, cancel, enqueue, site_users
from data.pm import BAND_ORDER, Band
from data.rounds import site_zone

logger = logging.getLogger(__name__)

ALERT_SEVERITIES = (Severity.HIGH, Severity.CRITICAL)
DIGEST_BANDS = (Band.WARNING, Band.DUE, Band.OVERDUE)


def _local(when: dt.datetime, site: Site) -> str:
    return when.astimezone(site_zone(site.timezone)).strftime("%Y-%m-%d %H:%M %Z")


def _footer() -> str:
    return (f"\n\n-- \nTool Maintenance, {get_config().base_url}/\n"
            "You get this because of your notification settings (user menu > Notifications).")


def failure_reported(report_id: int) -> list[int]:
    """A high or critical failure: tell the site's managers at once (e-mail, and SMS where they want it)."""
    report = db.session.get(FailureReport, report_id)
    if report is None or report.severity not in ALERT_SEVERITIES:
        return []
    site = db.session.get(Site, report.site_id)
    mould = report.mould
    press = db.session.get(Press, report.press_id) if report.press_id else None
    reporter = db.session.get(User, report.reported_by_id) if report.reported_by_id else None
    sev = report.severity.value.upper()
    code = report.code
    subject = f"[{site.code}] {sev} failure on {mould.code}: {code.mode}"
    lines = [
        f"A {report.severity.value} failure was reported at {site.name} ({site.code}).",
        "",
        f"Mould:       {mould.code} {mould.name}",
        f"Press:       {press.code + ' ' + press.name if press else '-'}",
        f"Failure:     {code.code} {code.mode} / {code.mechanism} at {code.component} (cause: {code.cause})",
        f"Severity:    {report.severity.value}",
        f"Occurred:    {_local(report.occurred_at, site)}",
        f"Shot count:  {report.shot_count:,}" if report.shot_count is not None else "Shot count:  -",
        f"Cavity:      {report.cavity or '-'}",
        f"Downtime:    {float(report.downtime_hours or 0):g} h",
        f"Reported by: {(reporter.display_name or reporter.username) if reporter else '-'}",
        "",
        report.description or "(no description)",
        "",
        f"Mould page: {get_config().base_url}/tools/{mould.code}",
    ]
    sms = f"{sev} {site.code} {mould.code}: {code.mode} at {code.component}. {report.description or ''}"
    message = Message(subject, "\n".join(lines) + _footer(), sms)
    return enqueue("failure_alert", f"failure:{report.id}", site.id, site_users(site.id, Role.MANAGER), message)


def action_changed(action_id: int, status: str | None = None) -> list[int]:
    """Tell a new owner about their action item; a closed item cancels its pending reminders."""
    action = db.session.get(ActionItem, action_id)
    if action is None:
        return []
    if action.status is ActionStatus.CLOSED:
        cancel(f"action_overdue:{action.id}:")
        cancel(f"action_escalation:{action.id}:")
        return []
    owner = action.owner
    if owner is None or owner.id == action.created_by_id or not owner.is_active:
        return []  # nobody to tell, or people need no e-mail about what they assigned to themselves
    site = db.session.get(Site, action.site_id)
    due = f"due {action.due_date:%Y-%m-%d}" if action.due_date else "no due date"
    mould = db.session.get(Mould, action.mould_id) if action.mould_id else None
    body = "\n".join([
        f"An action item at {site.name} ({site.code}) is assigned to you ({due}).",
        "",
        action.title,
        f"Mould: {mould.code} {mould.name}" if mould else "",
        "",
        action.description or "",
        "",
        f"Your action items: {get_config().base_url}/actions",
    ])
    message = Message(f"[{site.code}] Action assigned to you: {action.title}", body + _footer())
    return enqueue("action_assigned", f"action_assigned:{action.id}:{owner.id}", site.id, [owner], message)


def _action_line(action: ActionItem, today: dt.date) -> str:
    late = (today - action.due_date).days
    owner = action.owner.display_name or action.owner.username if action.owner else "nobody"
    return f"#{action.id} {action.title} (owner {owner}, due {action.due_date:%Y-%m-%d}, {late} day(s) late)"


def overdue_actions(site_id: int, today: dt.date) -> list[int]:
    """Open action items past their due date: tell each owner once, and the site's managers after
    ESCALATION_DAYS more days (once per item and due date; a new due date starts again)."""
    cfg = get_config()
    site = db.session.get(Site, site_id)
    actions = db.session.scalars(
        select(ActionItem).where(ActionItem.site_id == site_id, ActionItem.status != ActionStatus.CLOSED,
                                 ActionItem.due_date < today).order_by(ActionItem.due_date, ActionItem.id)).all()
    managers = site_users(site_id, Role.MANAGER)
    ids: list[int] = []
    for action in actions:
        line = _action_line(action, today)
        if action.owner is not None and action.owner.is_active:
            body = (f"Your action item at {site.name} ({site.code}) is overdue:\n\n{line}\n\n{action.description}"
                    f"\n\nYour action items: {cfg.base_url}/actions")
            msg = Message(f"[{site.code}] Overdue: {action.title}", body + _footer(),
                          f"{site.code} overdue action #{action.id}: {action.title}")
            ids += enqueue("action_overdue", f"action_overdue:{action.id}:{action.due_date}", site_id,
                           [action.owner], msg)
        if (today - action.due_date).days >= cfg.escalation_days:
            body = (f"An action item at {site.name} ({site.code}) is overdue by {cfg.escalation_days} day(s) or "
                    f"more:\n\n{line}\n\n{action.description}")
            msg = Message(f"[{site.code}] Escalation: overdue action {action.title}", body + _footer(),
                          f"{site.code} escalation: action #{action.id} {(today - action.due_date).days} days late")
            recipients = [m for m in managers if m.id != action.owner_id]
            ids += enqueue("action_escalation", f"action_escalation:{action.id}:{action.due_date}", site_id,
                           recipients, msg)
    return ids


def _band_rank(band: str | None) -> int:
    return BAND_ORDER.index(Band(band)) if band in {b.value for b in Band} else 0


def pm_transitions(site_id: int, now: dt.datetime) -> pd.DataFrame:
    """Moulds of the site whose PM band got worse into WARNING, DUE or OVERDUE since the last digest;
    updates the stored bands (commits). A mould never seen before counts as coming from NOT_DUE."""
    pm = mould_pm_table(now, frozenset({site_id}))
    states = {s.mould_id: s for s in db.session.scalars(select(PMBandState).where(PMBandState.site_id == site_id))}
    entered = []
    for row in pm.itertuples():
        state = states.get(row.id)
        before = state.band if state else Band.NOT_DUE.value
        if row.band != before:
            if row.band in DIGEST_BANDS and _band_rank(row.band) > _band_rank(before):
                entered.append(row.Index)
            if state is None:
                db.session.add(PMBandState(site_id=site_id, mould_id=row.id, band=row.band, changed_at=now))
            else:
                state.band, state.changed_at = row.band, now
    db.session.commit()
    return pm.loc[entered].sort_values("pct_used", ascending=False)


def pm_digest(site_id: int, now: dt.datetime) -> list[int]:
    """The daily digest of moulds entering WARNING or DUE (or OVERDUE) at one site."""
    site = db.session.get(Site, site_id)
    moved = pm_transitions(site_id, now)
    if moved.empty:
        return []
    day = now.astimezone(site_zone(site.timezone)).date()
    lines = [f"{len(moved)} mould(s) at {site.name} ({site.code}) entered a PM band since the last digest:", ""]
    for band in reversed(DIGEST_BANDS):
        part = moved[moved["band"] == band.value]
        if part.empty:
            continue
        lines.append(f"{band.value.replace('_', ' ')} ({len(part)})")
        for r in part.itertuples():
            due = "" if pd.isna(r.forecast_due) else f", forecast due {r.forecast_due:%Y-%m-%d}"
            lines.append(f"  {r.code:10} {r.name[:40]:40} {r.pct_used:5.0f}% of interval used{due}")
        lines.append("")
    message = Message(f"[{site.code}] PM digest {day:%Y-%m-%d}: {len(moved)} mould(s) entering warning or due",
                      "\n".join(lines) + _footer())
    return enqueue("pm_digest", f"pm_digest:{site.id}:{day}", site.id, site_users(site.id, Role.TECHNICIAN), message)


def sensor_alert(alert_id: int) -> list[int]:
    """A sensor excursion: tell the site's engineers and managers who asked for it."""
    alert = db.session.get(SensorAlert, alert_id)
    if alert is None:
        return []
    sensor = db.session.get(Sensor, alert.sensor_id)
    press = db.session.get(Press, sensor.press_id)
    site = db.session.get(Site, alert.site_id)
    mould = db.session.get(Mould, alert.mould_id) if alert.mould_id else None
    what = sensor.name or sensor.key
    subject = f"[{site.code}] {press.code} {what} {alert.kind}: {alert.value:g} {sensor.unit}".strip()
    body = "\n".join([
        f"A sensor on press {press.code} at {site.name} went {alert.kind} of its limit.",
        "",
        f"Sensor:    {what} ({sensor.key})",
        f"Value:     {alert.value:g} {sensor.unit} (limit {alert.threshold:g} {sensor.unit})",
        f"At:        {_local(alert.ts, site)}",
        f"Mould:     {mould.code + ' ' + mould.name if mould else '-'}",
    ])
    return enqueue("sensor_alert", f"sensor_alert:{alert.id}", site.id, site_users(site.id, Role.ENGINEER),
                   Message(subject, body + _footer(), subject))


def morning_round(site_id: int, now: dt.datetime | None = None) -> list[int]:
    """The daily round of one site: overdue and escalated action items, then the PM digest."""
    now = now or utcnow()
    site = db.session.get(Site, site_id)
    today = now.astimezone(site_zone(site.timezone)).date()
    return overdue_actions(site_id, today) + pm_digest(site_id, now)
