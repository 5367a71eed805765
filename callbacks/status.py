"""Behaviour of the admin Status page: self-check results, the notification outbox and its retries, backups."""

from __future__ import annotations

import math

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, html, no_update
from huey.exceptions import TaskException

from auth.guard import secured_callback
from components.cards import empty_state
from data.backup import list_backups
from data.models import utcnow
from data.notifications import notifications_page, outbox_counts, retry_failed
from data.selfcheck import stored_results, worst
from pages import status_ids as ids

PER_PAGE = 20
TONE = {"ok": "success", "warn": "warning", "fail": "danger"}
LABEL = {"ok": "OK", "warn": "Warning", "fail": "Failing"}
STATUS_TONE = {"pending": "warning", "sending": "info", "sent": "success", "failed": "danger",
               "cancelled": "secondary"}


def _detail_text(details: dict) -> str:
    """A short line of the numbers that matter from a check's details."""
    parts = []
    for key, value in (details or {}).items():
        if isinstance(value, dict) and "free_pct" in value:
            parts.append(f"{key}: {value['free_pct']}% free of {value['total_mb'] / 1024:.0f} GB")
        elif isinstance(value, (int, float, str)) and not isinstance(value, bool) and key not in ("path",):
            parts.append(f"{key.replace('_', ' ')}: {value}")
        elif isinstance(value, list) and value and isinstance(value[0], str):
            parts.append(f"{key.replace('_', ' ')}: {', '.join(value[:8])}")
    return " · ".join(parts)[:400]


def checks_table(results) -> dbc.Table:
    """The self-check results as a table."""
    rows = [html.Tr([html.Td(dbc.Badge(LABEL[r.status], color=TONE[r.status]), className="text-nowrap"),
                     html.Td(r.name.capitalize(), className="fw-semibold"),
                     html.Td([html.Div(r.message), html.Div(_detail_text(r.details),
                                                            className="small text-body-secondary")])],
                    id=f"status-check-{r.name}")
            for r in results]
    head = html.Thead(html.Tr([html.Th("Status", style={"width": "7rem"}), html.Th("Check", style={"width": "9rem"}),
                               html.Th("Result")]))
    return dbc.Table([head, html.Tbody(rows)], hover=True, responsive=True, size="sm", className="mb-0")


@secured_callback("admin", Output(ids.CHECKS, "children"), Output(ids.OVERALL, "children"),
                  Output(ids.CHECKED_AT, "children"), Input(ids.REFRESH, "n_intervals"),
                  Input(ids.RUN_CHECKS, "n_clicks"))
def show_checks(_n, run_clicks):
    """The stored results; the button (or no results yet) runs the checks now."""
    from workers.tasks_selfcheck import run_and_store

    results = stored_results()
    if (ctx.triggered_id == ids.RUN_CHECKS and run_clicks) or not results:
        run_and_store()
        results = stored_results()
    overall = worst(results)
    badge = dbc.Badge(LABEL[overall], color=TONE[overall], id="status-overall-badge")
    when = min(r.checked_at for r in results)
    age = int((utcnow() - when).total_seconds() // 60)
    return checks_table(results), badge, f"checked {when:%Y-%m-%d %H:%M} UTC ({age} min ago)"


@secured_callback("admin", Output(ids.OUTBOX_MSG, "children"), Output(ids.VERSION, "data"),
                  Input(ids.RETRY_ALL, "n_clicks"), Input({"type": ids.RETRY_ONE, "index": ALL}, "n_clicks"),
                  State(ids.VERSION, "data"), prevent_initial_call=True)
def retry(all_clicks, one_clicks, version):
    """Put failed notifications back in the queue (all, or the one whose button was pressed) and send them."""
    from workers.tasks_notify import deliver_notification

    trigger = ctx.triggered_id
    if trigger == ids.RETRY_ALL and all_clicks:
        chosen = retry_failed()
    elif isinstance(trigger, dict) and any(one_clicks or []):
        clicked = ctx.triggered[0]["value"] if ctx.triggered else None
        if not clicked:
            return no_update, no_update  # the buttons were just drawn, not pressed
        chosen = retry_failed([int(trigger["index"])])
    else:
        return no_update, no_update
    for notification_id in chosen:
        deliver_notification(notification_id)
    if not chosen:
        msg = dbc.Alert("Nothing to retry: no failed notifications.", color="info", dismissable=True,
                        className="py-2")
    else:
        msg = dbc.Alert(f"{len(chosen)} notification(s) queued again; their status updates below.",
                        color="success", dismissable=True, className="py-2", id="status-retry-done")
    return msg, (version or 0) + 1


def _counts(counts: dict[str, int]) -> html.Div:
    return html.Div([dbc.Badge(f"{name.capitalize()}: {n:,}", color=STATUS_TONE[name], className="me-2 fs-6 fw-normal",
                               id=f"status-count-{name}")
                     for name, n in counts.items()])


def _outbox_rows(rows) -> dbc.Table:
    body = []
    for n, site_code in rows:
        action = (dbc.Button("Retry", id={"type": ids.RETRY_ONE, "index": n.id}, size="sm", color="outline-primary")
                  if n.status.value == "failed" else None)
        nxt = f"next try {n.next_attempt_at:%H:%M} UTC" if n.status.value == "pending" and n.next_attempt_at else ""
        body.append(html.Tr([
            html.Td(f"{n.created_at:%Y-%m-%d %H:%M}", className="text-nowrap"),
            html.Td(site_code),
            html.Td(n.kind.replace("_", " ")),
            html.Td([html.I(className=f"bi bi-{'envelope' if n.channel.value == 'email' else 'phone'} me-1"),
                     n.address], className="text-break"),
            html.Td(n.subject, className="text-break"),
            html.Td([dbc.Badge(n.status.value, color=STATUS_TONE[n.status.value]),
                     html.Div(f"{n.attempts} attempt(s) {nxt}", className="small text-body-secondary")]),
            html.Td(n.last_error or "", className="small text-break"),
            html.Td(action),
        ]))
    head = html.Thead(html.Tr([html.Th(h) for h in ("Created (UTC)", "Site", "Kind", "To", "Subject", "Status",
                                                    "Last error", "")]))
    return dbc.Table([head, html.Tbody(body)], size="sm", striped=True, responsive=True, id="status-outbox-rows")


@secured_callback("admin", Output(ids.OUTBOX, "children"), Output(ids.COUNTS, "children"),
                  Output(ids.PAGE, "max_value"), Output(ids.PAGE, "active_page"),
                  Input(ids.FILTER, "value"), Input(ids.SORT, "value"), Input(ids.PAGE, "active_page"),
                  Input(ids.REFRESH, "n_intervals"), Input(ids.VERSION, "data"))
def outbox(statuses, sort, page, _n, _version):
    """One page of the outbox with the chosen statuses; a new filter or sort goes back to page 1."""
    page = 1 if ctx.triggered_id in (ids.FILTER, ids.SORT) or not page else int(page)
    field, _, direction = (sort or "created_at:desc").partition(":")
    counts = outbox_counts()
    if not statuses:
        return empty_state("Choose which notifications to list."), _counts(counts), 1, 1
    rows, total = notifications_page(statuses, page, PER_PAGE, field, direction != "asc")
    pages = max(1, math.ceil(total / PER_PAGE))
    if not rows:
        what = " or ".join(s for s in statuses)
        return empty_state(f"No {what} notifications.", "Everything has been delivered." if statuses == ["failed"]
                           else "", icon="check2-circle"), _counts(counts), 1, 1
    return _outbox_rows(rows), _counts(counts), pages, min(page, pages)


@secured_callback("admin", Output(ids.BACKUPS, "children"), Output(ids.BACKUP_MSG, "children"),
                  Input(ids.REFRESH, "n_intervals"), Input(ids.BACKUP_NOW, "n_clicks"))
def backups(_n, clicks):
    """The backups kept; the button queues one now."""
    from workers.tasks_backup import backup_now

    msg = None
    if ctx.triggered_id == ids.BACKUP_NOW and clicks:
        try:
            name = backup_now().get(blocking=False)  # a value only when the task already ran (inline mode)
        except TaskException as exc:
            msg = dbc.Alert(f"The backup failed: {exc.metadata.get('error', exc)}", color="danger", className="py-2",
                            id="status-backup-failed")
        else:
            text = (f"Backup {name} written." if name else
                    "Backup queued: it appears below when the worker has written it (refreshes every 30 s).")
            msg = dbc.Alert(text, color="success", dismissable=True, className="py-2", id="status-backup-queued")
    found = list_backups()
    if not found:
        return empty_state("No backups yet.", "The nightly backup runs at BACKUP_TIME; or press Back up now.",
                           icon="database"), msg
    now = utcnow()
    rows = [html.Tr([html.Td(b.path.name, className="text-break"), html.Td(f"{b.created_at:%Y-%m-%d %H:%M}"),
                     html.Td(f"{(now - b.created_at).total_seconds() / 3600:.0f} h"),
                     html.Td(f"{b.size / 1e6:,.1f} MB", className="text-end"),
                     html.Td("yes" if b.manifest_path.exists() else "no")])
            for b in found[:20]]
    head = html.Thead(html.Tr([html.Th(h) for h in ("File", "Written (UTC)", "Age", "Size", "Manifest")]))
    note = html.Div(f"{len(found)} backup(s) in {found[0].path.parent}; restore with "
                    "`flask --app app restore FILE`.", className="small text-body-secondary")
    return html.Div([dbc.Table([head, html.Tbody(rows)], size="sm", responsive=True, id="status-backup-rows"),
                     note]), msg
