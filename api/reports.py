"""Management reviews over the API: the list, and the PDF download (a session user allowed 'reports', or an
'export' service token, limited to its site)."""

from __future__ import annotations

from flask import abort, g, jsonify, request
from flask_login import current_user

from api import bp
from api.auth import api_auth
from api.stored import stored_file
from data import authz
from data.reports import download_name, get_report, reports_page, site_by_code

MAX_PER_PAGE = 100


def _visible(report_id: int):
    report = get_report(report_id)  # the scope hides other sites' reviews
    if report is None:
        abort(404, description="There is no such review (or it is at a site you do not have access to).")
    if g.get("token") is None:
        authz.require(current_user, "reports", report.site_id)
    return report


@bp.get("/reports")
@api_auth("export", "reports")
def list_reports():
    """Reviews, newest first: ?site=CODE, ?page=N, ?per_page=N (at most 100)."""
    try:
        page = max(1, int(request.args.get("page", 1)))
        per_page = min(MAX_PER_PAGE, max(1, int(request.args.get("per_page", 20))))
    except ValueError:
        abort(400, description="page and per_page must be whole numbers.")
    sites = None
    if request.args.get("site"):
        site = site_by_code(request.args["site"])
        if site is None:
            abort(404, description=f"Unknown site {request.args['site']!r} (or not one of yours).")
        sites = frozenset({site.id})
    rows, total = reports_page(sites, page, per_page)
    items = [{"id": r.id, "site": r.site.code, "kind": r.kind, "period_start": r.period_start.isoformat(),
              "period_end": r.period_end.isoformat(), "paper": r.paper, "pages": r.pages, "size_bytes": r.size_bytes,
              "created_at": r.created_at.isoformat(), "url": f"/api/v1/reports/{r.id}/pdf"} for r in rows]
    return jsonify(items=items, total=total, page=page, per_page=per_page)


@bp.get("/reports/<int:report_id>/pdf")
@api_auth("export", "reports")
def report_pdf(report_id: int):
    """The review PDF, streamed from storage."""
    report = _visible(report_id)
    resp = stored_file(report.storage_key, "application/pdf",
                       "The PDF is missing from storage; make the review again.", 3600)
    resp.headers["Content-Disposition"] = f'attachment; filename="{download_name(report)}"'
    resp.headers["Content-Length"] = str(report.size_bytes)
    return resp
