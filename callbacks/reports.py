"""Behaviour of the Reports page: start a review (a job with progress), poll it, list, page and delete reviews."""

from __future__ import annotations

import datetime as dt
import math

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, html, no_update
from flask_login import current_user

from auth.guard import secured_callback
from components.cards import empty_state
from data import authz
from data.jobs import create_job, get_job
from data.models import JobStatus
from data.reports import PAPERS, ReportError, check_period, delete_report, get_report, reports_page
from data.users import visible_sites
from pages import reports_ids as ids

PER_PAGE = 15


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _error(message: str) -> dbc.Alert:
    return dbc.Alert(message, color="danger", className="py-2 mb-0", id="reports-error")


def progress_view(job) -> html.Div:
    """A progress bar for a running job, or the outcome of a finished one."""
    if job.status is JobStatus.FAILED:
        return dbc.Alert(job.message or "The review could not be made.", color="danger", className="py-2 mb-0",
                         id="reports-failed")
    if job.status is JobStatus.DONE:
        report_id = (job.result or {}).get("report_id")
        return dbc.Alert([html.I(className="bi bi-check2-circle me-2"), f"Review ready ({job.message}). ",
                          html.A("Download the PDF", href=f"/api/v1/reports/{report_id}/pdf", className="alert-link",
                                 id="reports-ready-link", target="_blank")],
                         color="success", className="py-2 mb-0", id="reports-done")
    label = f"{job.progress} %"
    return html.Div([dbc.Progress(value=max(job.progress, 3), label=label, striped=True, animated=True,
                                  id="reports-progress-bar"),
                     html.Div(job.message or "Waiting for the worker …", className="small text-body-secondary mt-1")])


@secured_callback("reports", Output(ids.JOB, "data"), Output(ids.POLL, "disabled"), Output(ids.FEEDBACK, "children"),
                  Output(ids.PROGRESS, "children"), Input(ids.MAKE, "n_clicks"), State(ids.SITE, "value"),
                  State(ids.DATES, "start_date"), State(ids.DATES, "end_date"), State(ids.PAPER, "value"),
                  State(ids.SEND, "value"), prevent_initial_call=True)
def make(clicks, site_id, start, end, paper, send):
    """Check the request, create a job and queue the review; the poll shows its progress."""
    from workers.tasks_reports import make_review

    if not clicks:
        return no_update, no_update, no_update, no_update
    sites = {s.id: s for s in visible_sites()}
    if site_id is None or int(site_id) not in sites:
        return None, True, _error("Choose one of your sites."), None
    site_id = int(site_id)
    authz.require(current_user, "reports", site_id)
    if paper not in PAPERS:
        return None, True, _error("Choose A4 or Letter."), None
    try:
        first, last = check_period(_date(start), _date(end))
    except ReportError as exc:
        return None, True, _error(str(exc)), None
    job = create_job("review", site_id, current_user.id, "Queued: waiting for the worker")
    make_review(job.id, site_id, first.isoformat(), last.isoformat(), paper, current_user.id, bool(send))
    job = get_job(job.id)
    finished = job.status in (JobStatus.DONE, JobStatus.FAILED)
    return job.id, finished, None, progress_view(job)


@secured_callback("reports", Output(ids.PROGRESS, "children", allow_duplicate=True),
                  Output(ids.POLL, "disabled", allow_duplicate=True), Output(ids.DONE_VERSION, "data"),
                  Input(ids.POLL, "n_intervals"), State(ids.JOB, "data"), State(ids.DONE_VERSION, "data"),
                  prevent_initial_call=True)
def poll(_n, job_id, version):
    """Show the job's progress; stop polling and refresh the list when it ends."""
    job = get_job(job_id) if job_id else None
    if job is None or job.created_by_id != current_user.id:
        return None, True, no_update
    done = job.status in (JobStatus.DONE, JobStatus.FAILED)
    return progress_view(job), done, (version or 0) + 1 if done else no_update


def _table(rows) -> dbc.Table:
    body = []
    for r in rows:
        who = (r.created_by.display_name or r.created_by.username) if r.created_by else \
            ("schedule" if r.kind == "scheduled" else "command line")
        body.append(html.Tr([
            html.Td(r.site.code),
            html.Td(f"{r.period_start:%Y-%m-%d} – {r.period_end:%Y-%m-%d}", className="text-nowrap"),
            html.Td("weekly" if r.kind == "scheduled" else "on request"),
            html.Td(f"{r.created_at:%Y-%m-%d %H:%M}", className="text-nowrap"),
            html.Td(who),
            html.Td(f"{r.pages}", className="text-end"),
            html.Td(f"{r.size_bytes / 1024:,.0f} kB", className="text-end text-nowrap"),
            html.Td([html.A([html.I(className="bi bi-download me-1"), "PDF"], href=f"/api/v1/reports/{r.id}/pdf",
                            className="btn btn-sm btn-outline-primary me-2", target="_blank",
                            id=f"reports-download-{r.id}"),
                     dbc.Button([html.I(className="bi bi-trash")], id={"type": ids.DELETE, "index": r.id},
                                size="sm", color="outline-danger", title="Delete this review")],
                    className="text-nowrap"),
        ]))
    head = html.Thead(html.Tr([html.Th(h) for h in ("Site", "Period", "Kind", "Made (UTC)", "By", "Pages", "Size",
                                                    "")]))
    return dbc.Table([head, html.Tbody(body)], hover=True, responsive=True, size="sm", id="reports-rows",
                     className="mb-0")


@secured_callback("reports", Output(ids.LIST, "children"), Output(ids.COUNT, "children"),
                  Output(ids.PAGE, "max_value"), Output(ids.PAGE, "active_page"), Input(ids.FILTER, "value"),
                  Input(ids.SORT, "value"), Input(ids.PAGE, "active_page"), Input(ids.DONE_VERSION, "data"),
                  Input(ids.DELETE_VERSION, "data"))
def listing(site_id, sort, page, _done, _deleted):
    """One page of the reviews of the user's sites (or one site)."""
    page = 1 if ctx.triggered_id in (ids.FILTER, ids.SORT) or not page else int(page)
    mine = frozenset(s.id for s in visible_sites())
    sites = mine if site_id is None else frozenset({int(site_id)}) & mine
    rows, total = reports_page(sites, page, PER_PAGE, sort or "created")
    pages = max(1, math.ceil(total / PER_PAGE))
    if not rows:
        return (empty_state("No reviews yet.", "Make one above; the weekly ones appear here too.",
                            icon="file-earmark-pdf"), "0 reviews", 1, 1)
    return _table(rows), f"{total:,} review(s)", pages, min(page, pages)


@secured_callback("reports", Output(ids.CONFIRM, "displayed"), Output(ids.CONFIRM, "message"),
                  Output(ids.PENDING, "data"), Input({"type": ids.DELETE, "index": ALL}, "n_clicks"),
                  prevent_initial_call=True)
def ask_delete(clicks):
    """Ask before deleting (a drawn button has no clicks yet)."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not ctx.triggered or not ctx.triggered[0]["value"]:
        return no_update, no_update, no_update
    report = get_report(int(trigger["index"]))
    if report is None:
        return no_update, no_update, no_update
    message = (f"Delete the review of {report.site.code} for {report.period_start:%Y-%m-%d} – "
               f"{report.period_end:%Y-%m-%d}? The PDF is removed for everyone.")
    return True, message, report.id


@secured_callback("reports", Output(ids.DELETE_VERSION, "data"), Output(ids.FEEDBACK, "children", allow_duplicate=True),
                  Input(ids.CONFIRM, "submit_n_clicks"), State(ids.PENDING, "data"), State(ids.DELETE_VERSION, "data"),
                  prevent_initial_call=True)
def confirm_delete(submitted, report_id, version):
    """Delete the review the user confirmed."""
    if not submitted or not report_id:
        return no_update, no_update
    report = get_report(int(report_id))
    if report is None:
        return no_update, _error("That review no longer exists (or is at a site you do not have access to).")
    authz.require(current_user, "reports", report.site_id)
    label = f"{report.site.code} {report.period_start:%Y-%m-%d} – {report.period_end:%Y-%m-%d}"
    delete_report(report)
    return (version or 0) + 1, dbc.Alert(f"Deleted the review {label}.", color="info", dismissable=True,
                                         className="py-2 mb-0", id="reports-deleted")
