"""Management reviews: made on request (with progress for the Reports page) and every week per site at
REPORT_DAY / REPORT_TIME in the site's local time, stored through the storage layer and e-mailed."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from huey import crontab
from sqlalchemy import select

from config import get_config
from data import reports, rounds
from data.db import db
from data.jobs import update_job
from data.models import JobStatus, Report, Site, utcnow
from data.scope import Scope, system_scope, using_scope
from data.storage import get_storage
from workers.queue import huey, in_app_context
from workers.tasks_notify import _deliver_later

logger = logging.getLogger(__name__)

ROUND_CHECK_MINUTES = 5


def generate_review(site_id: int, start: dt.date, end: dt.date, paper: str = "A4", kind: str = "on_demand",
                    user_id: int | None = None, job_id: str | None = None,
                    progress: Callable[[int, str], None] | None = None) -> Report:
    """Make one site's review PDF, store it and record it; only that site's data is in scope while it is made."""
    from components.review import render_html, render_pdf

    step = progress or (lambda _pct, _msg: None)
    if paper not in reports.PAPERS:
        raise reports.ReportError(f"Paper must be A4 or Letter, not {paper!r}.")
    with using_scope(Scope.for_sites({site_id}, user_id)):
        site = db.session.get(Site, site_id)
        if site is None:
            raise reports.ReportError(f"There is no site {site_id}.")
        content = reports.review_content(site_id, start, end, progress=step)
        step(55, "Drawing the charts")
        html = render_html(content, paper)
        step(70, "Laying out the pages")
        pdf, pages = render_pdf(html)
        step(90, "Storing the PDF")
        key = reports.storage_key(site, start, end)
        get_storage().put(key, pdf, "application/pdf")
        report = reports.record_report(site_id, kind, start, end, paper, key, len(pdf), pages, user_id, job_id)
    logger.info("Review of %s for %s..%s: %d pages, %d bytes", site.code, start, end, pages, len(pdf))
    return report


def send_and_deliver(report_id: int) -> list[int]:
    """Queue the review's e-mails and send them."""
    with system_scope():
        ids = reports.send_review(report_id)
    _deliver_later(ids)
    return ids


@huey.task()
@in_app_context
def make_review(job_id: str, site_id: int, start: str, end: str, paper: str, user_id: int | None,
                send: bool = False) -> int | None:
    """On-demand review with progress in the job (the Reports page polls it)."""
    def progress(pct: int, message: str) -> None:
        with system_scope():
            update_job(job_id, progress=pct, message=message)

    try:
        report = generate_review(site_id, dt.date.fromisoformat(start), dt.date.fromisoformat(end), paper,
                                 "on_demand", user_id, job_id, progress)
    except Exception as exc:
        logger.exception("Review for site %s failed", site_id)
        db.session.rollback()
        message = str(exc) if isinstance(exc, reports.ReportError) else f"The review could not be made: {exc}"
        with system_scope():
            update_job(job_id, status=JobStatus.FAILED, message=message[:500])
        return None
    sent = send_and_deliver(report.id) if send else []
    with system_scope():
        update_job(job_id, status=JobStatus.DONE, message=f"{report.pages} pages" +
                   (f", e-mailed to {len(sent)} recipient(s)" if send else ""),
                   result={"report_id": report.id, "pages": report.pages, "size": report.size_bytes})
    return report.id


def run_weekly_reviews(now: dt.datetime | None = None) -> dict[str, int]:
    """Make and send the weekly review of every site whose REPORT_DAY/REPORT_TIME slot has passed."""
    cfg = get_config()
    now = now or utcnow()
    made: dict[str, int] = {}
    with system_scope():
        sites = db.session.scalars(select(Site).order_by(Site.code)).all()
    for site in sites:
        slot = rounds.latest_slot(now, rounds.site_zone(site.timezone), cfg.report_time, cfg.report_day)
        key = f"review:{site.id}:{slot:%Y-%m-%d}"
        with system_scope():
            if not rounds.due(now, slot) or not rounds.mark_run(key):
                continue
        end = slot.date() - dt.timedelta(days=1)
        start = end - dt.timedelta(days=cfg.report_period_days - 1)
        try:
            report = generate_review(site.id, start, end, cfg.report_paper, "scheduled")
            send_and_deliver(report.id)
            made[site.code] = report.id
        except Exception:
            logger.exception("Weekly review of site %s failed; it is tried again at the next check", site.code)
            with system_scope():
                rounds.unmark_run(key)
    return made


@huey.periodic_task(crontab(minute=f"*/{ROUND_CHECK_MINUTES}"))
@in_app_context
def weekly_reviews() -> dict[str, int]:
    """Every few minutes: make the weekly reviews that are due."""
    return run_weekly_reviews()
