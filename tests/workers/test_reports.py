"""Management reviews: the PDF read back with poppler, the weekly schedule and e-mail, the Reports page and API."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import re
import subprocess
from decimal import Decimal

import pytest
from sqlalchemy import select

from data.models import (
    ActionItem,
    ActionStatus,
    FailureCode,
    FailureReport,
    Job,
    JobStatus,
    MaintenanceKind,
    MaintenanceLog,
    Mould,
    Report,
    Severity,
    ShotsDaily,
    ShotsHourly,
    utcnow,
)
from data.storage import get_storage
from tests.conftest import dash_post
from tests.web.test_permissions import render_page

TODAY = dt.date.today()
END = TODAY - dt.timedelta(days=1)
START = END - dt.timedelta(days=29)


def pdf_text(data: bytes, tmp_path, name="r.pdf") -> tuple[str, str]:
    """(pdftotext -layout output, pdfinfo output) of a PDF."""
    path = tmp_path / name
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return text, info


@pytest.fixture
def review_data(ctx, world):
    """A month at site S1 worth reviewing: three failure modes with history, PM work, shots, overdue actions."""
    s1, s2 = world["sites"]["S1"], world["sites"]["S2"]
    codes = {}
    for code, mode, comp, sev in (("FL-1", "Flash", "Parting line", Severity.MEDIUM),
                                  ("WL-1", "Water leak", "Cooling circuit", Severity.HIGH),
                                  ("HR-1", "Hot-runner zone failure", "Hot runner", Severity.CRITICAL)):
        codes[mode] = FailureCode(code=code, mode=mode, mechanism="Wear", cause="Maintenance", component=comp,
                                  default_severity=sev)
    ctx.add_all(codes.values())
    extra = [Mould(site_id=s1, code=f"T-1{i}", name=f"Housing 1{i}", family="housings", pm_interval_shots=100_000,
                   shots_since_pm=20_000 * i, lifetime_shots=900_000 + 50_000 * i) for i in range(1, 5)]
    overdue_mould = Mould(site_id=s1, code="T-19", name="Closure 19", family="closures", pm_interval_shots=50_000,
                          shots_since_pm=80_000, lifetime_shots=2_000_000)
    ctx.add_all([*extra, overdue_mould])
    ctx.flush()
    moulds = [world["moulds"]["S1"], *(m.id for m in extra), overdue_mould.id]
    now = utcnow()
    shots = 100_000
    for k in range(36):  # a year of failures: three modes on five moulds, each with its shot count
        mode = ("Flash", "Water leak", "Hot-runner zone failure")[k % 3]
        shots += 40_000 + 7_000 * (k % 5)
        when = now - dt.timedelta(days=360 - 10 * k)
        ctx.add(FailureReport(site_id=s1, mould_id=moulds[k % len(moulds)], failure_code_id=codes[mode].id,
                              press_id=world["presses"]["S1"], severity=codes[mode].default_severity,
                              occurred_at=when, shot_count=shots, downtime_hours=Decimal("3.5") + k % 4,
                              repair_hours=Decimal("2.0"), description=f"{mode} seen on run {k}"))
    ctx.add(FailureReport(site_id=s2, mould_id=world["moulds"]["S2"], failure_code_id=codes["Flash"].id,
                          severity=Severity.CRITICAL, occurred_at=now - dt.timedelta(days=3), shot_count=10_000,
                          description="SECRET-SITE-TWO failure"))
    for day in range(40):
        d = TODAY - dt.timedelta(days=day)
        ctx.add(ShotsDaily(site_id=s1, press_id=world["presses"]["S1"], mould_id=moulds[day % 6], day=d, shots=9_000))
        ctx.add(ShotsHourly(site_id=s1, press_id=world["presses"]["S1"], mould_id=moulds[day % 6],
                            bucket=dt.datetime(d.year, d.month, d.day, 8, tzinfo=dt.UTC), shots=9_000))
    for k in range(6):
        ctx.add(MaintenanceLog(site_id=s1, mould_id=moulds[k], kind=MaintenanceKind.PREVENTIVE,
                               performed_at=now - dt.timedelta(days=5 + 3 * k), shot_count=500_000 + k,
                               downtime_hours=Decimal("4"), labour_hours=Decimal("4")))
    ctx.add(ActionItem(site_id=s1, title="Replace O-rings on T-19", owner_id=world["users"]["technician"],
                       created_by_id=world["users"]["manager"], status=ActionStatus.OPEN, mould_id=overdue_mould.id,
                       due_date=TODAY - dt.timedelta(days=12), created_at=now - dt.timedelta(days=20)))
    ctx.add(ActionItem(site_id=s1, title="Polish slide faces on T-11", owner_id=world["users"]["engineer"],
                       created_by_id=world["users"]["manager"], status=ActionStatus.IN_PROGRESS,
                       due_date=TODAY + dt.timedelta(days=5)))
    ctx.commit()
    return world


def test_review_pdf_has_every_section_for_its_site_only(app, ctx, review_data, tmp_path):
    from workers.tasks_reports import generate_review

    steps = []
    report = generate_review(review_data["sites"]["S1"], START, END, "A4", user_id=review_data["users"]["manager"],
                             progress=lambda pct, msg: steps.append(pct))
    assert steps == sorted(steps) and steps[-1] == 90
    data = get_storage().get(report.storage_key)
    assert data.startswith(b"%PDF") and report.size_bytes == len(data)
    text, info = pdf_text(data, tmp_path)
    assert re.search(r"Pages:\s+(\d+)", info).group(1) == str(report.pages) and report.pages >= 10
    assert "595.276 x 841.89 pts (A4)" in info
    assert "Management review" in info  # the PDF title
    for expected in ("Management review", "Site One (S1)", f"{START:%d %b %Y} – {END:%d %b %Y}", "Key figures",
                     "PM status", "Due and overdue moulds", "T-19", "overdue", "T-1 ", "warning",
                     "Pareto by failure mode", "Hot-runner zone failure", "Water leak", "Flash",
                     "Trend: failures per month", "Reliability highlights", "Weibull life per failure mode",
                     "Open and overdue actions by owner", "technician", "Replace O-rings on T-19",
                     "Moulds with the most downtime", "Appendix A", "Appendix B", "Appendix C",
                     f"Page 1 of {report.pages}", f"Page {report.pages} of {report.pages}",
                     "Tool Maintenance · generated"):
        assert expected in text, expected
    assert "SECRET-SITE-TWO" not in text and "T-2 " not in text and "Site Two" not in text
    images = subprocess.run(["pdfimages", "-list", str(tmp_path / "r.pdf")], capture_output=True, text=True).stdout
    assert len(images.strip().splitlines()) == 2, "charts must be vector graphics, not images"


def test_letter_paper_and_an_empty_site(app, ctx, world, tmp_path):
    from workers.tasks_reports import generate_review

    report = generate_review(world["sites"]["S2"], START, END, "Letter")
    text, info = pdf_text(get_storage().get(report.storage_key), tmp_path)
    assert "612 x 792 pts (letter)" in info
    assert "No failures in the period." in text and "No open action items." in text
    assert "Not enough failures with a shot count" in text


def test_bad_periods_and_paper_are_refused():
    from data.reports import ReportError, check_period

    with pytest.raises(ReportError, match="starts .* after it ends"):
        check_period(END, START)
    with pytest.raises(ReportError, match="at most 366 days"):
        check_period(END - dt.timedelta(days=400), END)
    with pytest.raises(ReportError, match="in the future"):
        check_period(TODAY + dt.timedelta(days=2), TODAY + dt.timedelta(days=3))
    with pytest.raises(ReportError, match="first and the last day"):
        check_period(None, END)


def test_weekly_review_is_made_and_emailed_once_per_slot(app, ctx, review_data, mail, settings, tmp_path):
    from data.models import User
    from workers.tasks_reports import run_weekly_reviews, weekly_reviews

    smtp, _sms = mail
    settings(report_day="mon", report_time="06:00", report_period_days=7,
             report_recipients={"S1": ("plant-boss@corp.test",), "*": ("quality@corp.test",)})
    for user in ctx.scalars(select(User)):
        user.email = f"{user.username}@plant.test"
    ctx.commit()
    monday = TODAY - dt.timedelta(days=TODAY.weekday())
    at = dt.datetime(monday.year, monday.month, monday.day, 6, 10, tzinfo=dt.UTC)
    assert run_weekly_reviews(at - dt.timedelta(minutes=20)) == {}  # 05:50: not yet
    made = run_weekly_reviews(at)
    assert set(made) == {"S1", "S2"}
    assert run_weekly_reviews(at + dt.timedelta(minutes=5)) == {}  # once per slot
    s1_report = ctx.get(Report, made["S1"])
    assert s1_report.kind == "scheduled" and s1_report.period_end == monday - dt.timedelta(days=1)
    assert s1_report.period_start == monday - dt.timedelta(days=7)
    to_s1 = sorted(m["To"] for m in smtp.messages if "[S1]" in m["Subject"])
    assert to_s1 == ["admin@plant.test", "manager@plant.test", "plant-boss@corp.test", "quality@corp.test"]
    msg = next(m for m in smtp.messages if m["To"] == "plant-boss@corp.test")
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"review-S1-{s1_report.period_start}-to-{s1_report.period_end}.pdf"
    text, _info = pdf_text(attachment.get_content(), tmp_path)
    assert "Site One (S1)" in text
    assert weekly_reviews.task_class().validate_datetime(dt.datetime(2026, 1, 5, 6, 10))


def test_review_cli(app, ctx, world):
    result = app.test_cli_runner().invoke(args=["review", "--site", "S1", "--start", START.isoformat(), "--end",
                                                END.isoformat(), "--paper", "Letter"])
    assert result.exit_code == 0, result.output
    assert re.search(r"Review #\d+: \d+ pages", result.output) and "100%" not in result.output
    bad = app.test_cli_runner().invoke(args=["review", "--site", "S1", "--start", END.isoformat(), "--end",
                                             START.isoformat()])
    assert bad.exit_code == 1 and "after it ends" in bad.output
    assert app.test_cli_runner().invoke(args=["review", "--site", "NOPE"]).exit_code == 1


MAKE_OUT = "..reports-job.data...reports-poll.disabled...reports-feedback.children...reports-progress.children.."
LIST_OUT = "..reports-list.children...reports-count.children...reports-page.max_value...reports-page.active_page.."


def make(client, site_id, start=START, end=END, paper="A4", send=()):
    return dash_post(client, MAKE_OUT, [{"id": "reports-make", "property": "n_clicks", "value": 1}],
                     state=[{"id": "reports-site", "property": "value", "value": site_id},
                            {"id": "reports-dates", "property": "start_date", "value": str(start)},
                            {"id": "reports-dates", "property": "end_date", "value": str(end)},
                            {"id": "reports-paper", "property": "value", "value": paper},
                            {"id": "reports-send", "property": "value", "value": list(send)}])


def listing(client):
    return dash_post(client, LIST_OUT, [{"id": "reports-filter", "property": "value", "value": None},
                                        {"id": "reports-sort", "property": "value", "value": "created"},
                                        {"id": "reports-page", "property": "active_page", "value": 1},
                                        {"id": "reports-done-version", "property": "data", "value": 0},
                                        {"id": "reports-delete-version", "property": "data", "value": 0}])


def test_reports_page_makes_lists_downloads_and_deletes(app, client, auth, ctx, review_data, tmp_path):
    auth.login("manager")
    body = render_page(client, "/reports")
    assert "reports-make" in body and "Every Monday at 06:00" in body
    assert "No reviews yet" in listing(client).get_data(as_text=True)
    resp = make(client, review_data["sites"]["S1"])
    assert resp.status_code == 200, resp.get_data(as_text=True)
    out = resp.get_json()["response"]
    job_id = out["reports-job"]["data"]
    assert "Review ready" in str(out["reports-progress"]["children"])
    job = ctx.get(Job, job_id)
    assert job.status is JobStatus.DONE and job.progress == 100 and job.created_by_id == review_data["users"]["manager"]
    poll_key = next(k for k in app.dash_app.callback_map if "reports-done-version.data" in k)  # has @hash parts
    poll = dash_post(client, poll_key, [{"id": "reports-poll", "property": "n_intervals", "value": 1}],
                     state=[{"id": "reports-job", "property": "data", "value": job_id},
                            {"id": "reports-done-version", "property": "data", "value": 0}])
    polled = poll.get_json()["response"]
    assert polled["reports-done-version"]["data"] == 1
    assert [v for k, v in polled.items() if k.startswith("reports-poll")] == [{"disabled": True}]
    report_id = job.result["report_id"]
    text = listing(client).get_data(as_text=True)
    assert f"/api/v1/reports/{report_id}/pdf" in str(json.loads(text)) and "1 review(s)" in text

    pdf = client.get(f"/api/v1/reports/{report_id}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert "attachment; filename=\"review-S1-" in pdf.headers["Content-Disposition"]
    assert "Site One (S1)" in pdf_text(pdf.data, tmp_path)[0]

    ask = dash_post(client, "..reports-confirm.displayed...reports-confirm.message...reports-pending-delete.data..",
                    [[{"id": {"type": "reports-delete", "index": report_id}, "property": "n_clicks", "value": 1}]],
                    changed=[f'{{"index":{report_id},"type":"reports-delete"}}.n_clicks'])
    asked = ask.get_json()["response"]
    assert asked["reports-confirm"]["displayed"] is True and "Delete the review of S1" in \
        asked["reports-confirm"]["message"]
    key = ctx.get(Report, report_id).storage_key
    delete_key = next(k for k in app.dash_app.callback_map if "reports-delete-version.data" in k and "feedback" in k)
    done = dash_post(client, delete_key, [{"id": "reports-confirm", "property": "submit_n_clicks", "value": 1}],
                     state=[{"id": "reports-pending-delete", "property": "data", "value": report_id},
                            {"id": "reports-delete-version", "property": "data", "value": 0}])
    assert "Deleted the review S1" in done.get_data(as_text=True)
    ctx.expire_all()
    assert ctx.get(Report, report_id) is None and not get_storage().exists(key)
    assert client.get(f"/api/v1/reports/{report_id}/pdf").status_code == 404


def test_reports_page_refuses_bad_requests(client, auth, ctx, world):
    auth.login("manager")
    text = make(client, world["sites"]["S1"], start=END, end=START).get_data(as_text=True)
    assert "after it ends" in text
    assert "Choose one of your sites" in make(client, 9999).get_data(as_text=True)
    assert "Choose A4 or Letter" in make(client, world["sites"]["S1"], paper="A3").get_data(as_text=True)
    assert ctx.scalar(select(Job.id)) is None  # nothing was queued


@pytest.mark.parametrize("role", ["technician", "engineer"])
def test_reports_need_the_reports_right(client, auth, world, role):
    auth.login(role)
    assert '"forbidden"' in render_page(client, "/reports")
    assert make(client, world["sites"]["S1"]).status_code == 403
    assert client.get("/api/v1/reports").status_code == 403


def test_downloads_stay_within_the_users_and_tokens_sites(app, client, auth, ctx, world):
    from data.tokens import create_token
    from data.users import create_user
    from workers.tasks_reports import generate_review

    r1 = generate_review(world["sites"]["S1"], START, END)
    r2 = generate_review(world["sites"]["S2"], START, END)
    create_user("s1boss", "x", "manager", ["S1"], enforce_policy=False)
    _token, raw = create_token("exporter", "S2", ["export"])
    ctx.commit()
    auth.login("s1boss", "x")
    assert client.get(f"/api/v1/reports/{r1.id}/pdf").status_code == 200
    assert client.get(f"/api/v1/reports/{r2.id}/pdf").status_code == 404
    assert [i["site"] for i in client.get("/api/v1/reports").get_json()["items"]] == ["S1"]
    auth.logout()
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get(f"/api/v1/reports/{r2.id}/pdf", headers=headers).status_code == 200
    assert client.get(f"/api/v1/reports/{r1.id}/pdf", headers=headers).status_code == 404
    listed = client.get("/api/v1/reports?per_page=5", headers=headers).get_json()
    assert [i["site"] for i in listed["items"]] == ["S2"] and listed["total"] == 1
    assert client.get("/api/v1/reports?page=x", headers=headers).status_code == 400
    assert client.get("/api/v1/reports/1/pdf").status_code == 401


def test_email_option_sends_the_review_to_subscribers(app, client, auth, ctx, contacts, mail):
    smtp, _sms = mail
    auth.login("manager")
    out = make(client, contacts["sites"]["S1"], send=["send"]).get_json()["response"]
    assert "e-mailed to 2 recipient(s)" in str(out["reports-progress"]["children"])
    assert sorted(m["To"] for m in smtp.messages) == ["admin@plant.test", "manager@plant.test"]
    msg = email.message_from_bytes(smtp.messages[0].as_bytes(), policy=email.policy.default)
    assert [a.get_content_type() for a in msg.iter_attachments()] == ["application/pdf"]


def test_review_laid_out_in_parallel_prints_as_in_one_piece(app, ctx, review_data, tmp_path, settings, caplog):
    """The groups of sections laid out side by side, with the frame's cover, header and footer, read exactly
    like the document printed whole; the contents link to each section's first page; the outline lists them."""
    from pypdf import PdfReader

    from components import review_print
    from components.review import render_html
    from data.reports import review_content

    html = render_html(review_content(review_data["sites"]["S1"], START, END), "A4")
    settings(report_processes=2)
    parallel, pages = review_print.print_pdf(html)
    assert "one piece" not in caplog.text
    whole, whole_pages = review_print.print_whole(html)
    assert pages == whole_pages and pages >= 10
    squeeze = lambda text: re.sub(r"[ \t]+", " ", text)  # noqa: E731 - pdftotext pads columns differently
    text = squeeze(pdf_text(parallel, tmp_path, "p.pdf")[0])
    assert text == squeeze(pdf_text(whole, tmp_path, "w.pdf")[0])
    assert f"Page {pages} of {pages}" in text and "Appendix C" in text

    reader = PdfReader(tmp_path / "p.pdf")
    index = {page.indirect_reference.idnum: n for n, page in enumerate(reader.pages)}
    targets = {index[a.get_object()["/Dest"][0].idnum] for a in reader.pages[0]["/Annots"]}
    printed = re.findall(r"^\s*\d+\. .*?\.{5,}\s*(\d+)$", text, re.M)  # the contents' page numbers
    assert sorted(targets) == sorted(int(n) - 1 for n in set(printed)) and len(targets) == 10
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    assert outline[0] == "1. Key figures" and outline[-1].startswith("Appendix C")
    for title, item in zip(outline, [i for i in reader.outline if not isinstance(i, list)], strict=True):
        assert title.split(" ", 1)[-1].split(":")[0] in reader.pages[reader.get_destination_page_number(item)] \
            .extract_text(), title


def test_review_is_printed_in_one_piece_when_the_layout_processes_fail(app, ctx, review_data, settings, monkeypatch,
                                                                         caplog):
    from components import review_print
    from components.review import render_html
    from data.reports import review_content

    html = render_html(review_content(review_data["sites"]["S1"], START, END), "A4")
    settings(report_processes=2)

    def broken(_count):
        raise OSError("no processes left")

    monkeypatch.setattr(review_print, "_executors", broken)
    pdf, pages = review_print.print_pdf(html)
    assert pdf.startswith(b"%PDF") and pages >= 10
    assert "printing it in one piece" in caplog.text
