"""The management review as a PDF: the content of data.reports drawn with the dashboards' figure builders
(as vector SVG), laid out by a Jinja template and printed by WeasyPrint (header, footer, page numbers)."""

from __future__ import annotations

import base64
import logging
import math
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from components import figures
from components.svg import Label, figure_parts
from data.analytics.failures import pareto as fail_pareto
from data.reports import PAPERS, TREND_MONTHS, ReviewContent
from data.rounds import site_zone

TEMPLATES = Path(__file__).resolve().parent / "review_templates"
CHART_WIDTH = 680  # CSS px: the A4/Letter text width at 96 dpi
TOP_DOWNTIME = 15
TOP_RISK = 10

# WeasyPrint logs every layout step at INFO; the worker's log should show reports, not pages.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                   trim_blocks=True, lstrip_blocks=True, undefined=StrictUndefined)
_css: str | None = None


def _stylesheet() -> str:
    global _css
    if _css is None:
        _css = (TEMPLATES / "review.css").read_text()
    return _css


def fmt(value, decimals: int = 0, suffix: str = "") -> str:
    """12,345.6 with a suffix, or a dash for missing values."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return "—"
    try:
        return f"{float(value):,.{decimals}f}{suffix}"
    except (TypeError, ValueError):
        return str(value)


def si(value) -> str:
    """4.2M, 830k, 950."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    v = float(value)
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            return f"{v / div:.3g}{suffix}"
    return f"{v:,.0f}"


def _change(now: float, before: float) -> str:
    if not before:
        return "previous period: 0" if now else "none before either"
    pct = (now - before) / before * 100
    return f"previous period: {fmt(before)} ({pct:+.0f} %)"


def _badge(value: str) -> Markup:
    label = str(value).replace("_", " ").lower()
    return Markup('<span class="b-{}">{}</span>').format(value, label)


_ANCHOR_X = {"start": 0.0, "middle": 0.5, "end": 1.0}
_ANCHOR_Y = {"middle": 0.5, "hanging": 0.0, "auto": 0.8}  # auto: the alphabetic baseline, near the bottom
_ALIGN = {"start": "left", "middle": "center", "end": "right"}
_EM_PER_CHAR = 0.8  # wider than any DejaVu Sans text at this size: the box only has to hold the label


def _label(lab: Label) -> Markup:
    """A label as an absolutely placed box of a set size, aligned inside it so its anchor falls on (x, y).

    A set width spares WeasyPrint the shrink-to-fit measuring of every label (a third of the review's layout);
    the text is aligned within it, so the box need only be wide enough."""
    width = max(len(line) for line in lab.lines) * lab.size * _EM_PER_CHAR + lab.size
    height = len(lab.lines) * lab.size * 1.2
    ox, oy = _ANCHOR_X[lab.anchor] * width, _ANCHOR_Y[lab.baseline] * height
    turn = (f";transform-origin:{ox:.1f}px {oy:.1f}px;transform:rotate({lab.rotate:g}deg)"
            if lab.rotate else "")
    style = (f"left:{lab.x - ox:.1f}px;top:{lab.y - oy:.1f}px;width:{width:.1f}px;height:{height:.1f}px;"
             f"text-align:{_ALIGN[lab.anchor]};font-size:{lab.size:.1f}px;color:{lab.colour};"
             f"font-weight:{lab.weight}{turn}")
    return Markup('<span style="{}">{}</span>').format(style, Markup("<br>").join(lab.lines))


def _chart(fig) -> Markup:
    """The figure as vector SVG (an <img>, so WeasyPrint does not run the HTML cascade over every SVG node)
    with its text as HTML laid over it."""
    svg, labels, height = figure_parts(fig, CHART_WIDTH)
    data = base64.b64encode(svg.encode()).decode()
    return Markup('<div class="chart-box" style="height:{}px"><img src="data:image/svg+xml;base64,{}" alt="chart">'
                  '{}</div>').format(height, data, Markup("").join(_label(lab) for lab in labels))


def _local(ts, zone) -> str:
    if ts is None or (isinstance(ts, float) and math.isnan(ts)) or pd.isna(ts):
        return "—"
    return pd.Timestamp(ts).tz_convert(zone).strftime("%Y-%m-%d %H:%M")


def _short(text: str, n: int = 90) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def tiles(r: ReviewContent) -> list[dict]:
    """The key-figure tiles (the first six also go on the cover)."""
    k = r.kpis
    due = k["pm_due"] + k["pm_overdue"]
    compliance = k["pm_compliance_pct"]
    return [
        {"label": "Failures", "value": fmt(k["failures"]), "note": _change(k["failures"], k["failures_prev"]),
         "tone": "bad" if k["failures"] > k["failures_prev"] else "good"},
        {"label": "High or critical", "value": fmt(k["high_critical"]),
         "note": f"on {k['moulds_affected']} mould(s) with any failure",
         "tone": "bad" if k["high_critical"] else "good"},
        {"label": "Downtime", "value": fmt(k["downtime_h"], 0, " h"),
         "note": f"{fmt(k['unplanned_h'], 0)} h failures · {fmt(k['planned_h'], 0)} h PM; "
                 + _change(round(k["downtime_h"]), round(k["downtime_prev_h"])),
         "tone": "warn" if k["unplanned_h"] > k["planned_h"] else ""},
        {"label": "PM due or overdue", "value": fmt(due),
         "note": f"{k['pm_overdue']} overdue · {k['pm_warning']} in warning, of {k['moulds']} moulds",
         "tone": "bad" if k["pm_overdue"] else ("warn" if due else "good")},
        {"label": "Open actions", "value": fmt(k["actions_open"]), "note": f"{k['actions_overdue']} overdue",
         "tone": "bad" if k["actions_overdue"] else ""},
        {"label": "PM compliance", "value": fmt(compliance, 0, " %"),
         "note": f"{k['pm_on_time']} of {k['pm_done']} PMs done before due",
         "tone": "" if compliance is None else ("good" if compliance >= 90 else "warn" if compliance >= 75 else "bad")},
        {"label": "Mean time to repair", "value": fmt(k["mttr_h"], 1, " h"), "note": "per failure in the period",
         "tone": ""},
        {"label": "Shots", "value": si(k["shots"]), "note": _change(k["shots"], k["shots_prev"]), "tone": ""},
    ]


def findings(r: ReviewContent) -> list[str]:
    """Plain sentences about what stands out in the period."""
    k, out = r.kpis, []
    if k["failures"] != k["failures_prev"]:
        verb = "rose" if k["failures"] > k["failures_prev"] else "fell"
        out.append(f"Failures {verb} from {k['failures_prev']} to {k['failures']} compared with the previous "
                   f"{r.days} days.")
    else:
        out.append(f"{k['failures']} failures, as many as in the previous {r.days} days.")
    if len(r.pareto_mode):
        top = r.pareto_mode.iloc[0]
        out.append(f"{top['category']} is the most frequent failure mode: {fmt(top['value'])} failures, "
                   f"{top['share']:.0f} % of the total.")
    overdue = r.health[r.health["band"] == "OVERDUE"]["code"].tolist()
    if overdue:
        listed = ", ".join(overdue[:6]) + (f" and {len(overdue) - 6} more" if len(overdue) > 6 else "")
        out.append(f"{len(overdue)} mould(s) overdue for PM: {listed}.")
    else:
        out.append("No mould is overdue for PM.")
    if k["pm_compliance_pct"] is not None and k["pm_compliance_pct"] < 90:
        out.append(f"Only {k['pm_compliance_pct']:.0f} % of PMs in the period were done before they fell due.")
    if len(r.downtime):
        top = r.downtime.iloc[0]
        out.append(f"{top['mould']} lost the most time: {fmt(top['total_hours'], 1)} h "
                   f"({fmt(top['unplanned_hours'], 1)} h from failures).")
    late = r.actions_by_owner[r.actions_by_owner["overdue"] > 0] if len(r.actions_by_owner) else []
    if len(late):
        top = late.iloc[0]
        out.append(f"{top['owner']} owns the most overdue action items ({int(top['overdue'])}).")
    return out


def reliability_findings(r: ReviewContent) -> list[str]:
    """What the life analysis says, in sentences."""
    out = []
    for mode, fit in r.analysis.fits.items():
        if fit is None:
            continue
        if fit.beta_lower > 1.0:
            out.append(f"{mode}: wear-out (β = {fit.beta:.2f}); 10 % of moulds reach it by {si(fit.b10)} shots, so "
                       "planned replacement before then pays.")
        elif fit.beta_upper < 1.0:
            out.append(f"{mode}: early-life failures (β = {fit.beta:.2f}); look at commissioning and repair quality.")
    if len(r.risk) and pd.notna(r.risk.iloc[0]["p_any"]):
        top = r.risk.iloc[0]
        out.append(f"{top['code']} has the highest chance of a failure in the next {r.risk_shots:,} shots "
                   f"({top['p_any'] * 100:.0f} %).")
    return out or ["Not enough failure history with shot counts for a life analysis yet."]


def _na(value) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


# Table columns: (header, row key, CSS class, width in % of the text width; fixed layout is much faster).
PM_COLUMNS = [("Mould", "code", "nowrap", 8), ("Name", "name", "", 20), ("Family", "family", "", 13),
              ("Press", "press", "nowrap", 9), ("PM", "band", "", 9), ("Used", "used", "n", 7),
              ("Shots since PM", "shots", "n", 14), ("By", "driver", "", 7), ("Due (forecast)", "due", "nowrap", 13)]
FAILURE_COLUMNS = [("When", "when", "nowrap", 14), ("Mould", "mould", "nowrap", 7),
                   ("Mode / component", "what", "", 22), ("Severity", "severity", "", 8), ("Cav.", "cavity", "", 5),
                   ("Shots", "shots", "n", 10), ("Down h", "downtime", "n", 7), ("Description", "description", "", 27)]
SEVERITY_COLUMNS = [("Severity", "severity", "", 40), ("Failures", "count", "n", 30),
                    ("Downtime h", "downtime", "n", 30)]
FIT_COLUMNS = [("Failure mode", "mode", "", 24), ("Failures", "failures", "n", 9), ("Suspensions", "susp", "n", 11),
               ("β (shape)", "beta", "n", 19), ("η (scale)", "eta", "n", 10), ("B10 (shots)", "b10", "n", 11),
               ("Pattern", "pattern", "", 16)]
RISK_COLUMNS = [("Mould", "code", "nowrap", 20), ("Family", "family", "", 30), ("P(any failure)", "p", "n", 25),
                ("Days at current rate", "days", "n", 25)]
MTBF_COLUMNS = [("Mould", "group", "nowrap", 14), ("Failures", "failures", "n", 12), ("Shots", "shots", "n", 12),
                ("MTBF (shots)", "mtbf", "n", 15), ("MTBF (h mounted)", "mtbf_h", "n", 17), ("MTTR h", "mttr", "n", 13),
                ("Downtime h", "downtime", "n", 17)]
FAMILY_COLUMNS = [("Family", "family", "", 18), ("Moulds", "moulds", "n", 9), ("PM due", "due", "n", 9),
                  ("Failures", "failures", "n", 10), ("Last 12 m", "failures_12m", "n", 11),
                  ("MTBF 12 m", "mtbf", "n", 12), ("Top failure mode (12 m)", "mode", "", 31)]
MONTH_COLUMNS = [("Month", "month", "nowrap", 16), ("Failures", "failures", "n", 12),
                 ("High / critical", "serious", "n", 14), ("Failure downtime h", "downtime", "n", 17),
                 ("PMs done", "pm_done", "n", 12), ("Before due", "on_time", "n", 13), ("Shots", "shots", "n", 16)]
FAMILY_MOULD_COLUMNS = [("Mould", "code", "nowrap", 9), ("Name", "name", "", 20), ("PM", "band", "", 10),
                        ("Used", "used", "n", 8), ("Failures 12 m", "failures", "n", 12),
                        ("Downtime 12 m h", "downtime", "n", 16), ("MTBF (shots)", "mtbf", "n", 13),
                        ("Open actions", "actions", "n", 12)]
OWNER_COLUMNS = [("Owner", "owner", "", 30), ("Open", "open", "n", 12), ("In progress", "in_progress", "n", 14),
                 ("Overdue", "overdue", "n", 12), ("Total", "total", "n", 12), ("Oldest (days)", "oldest", "n", 20)]
ACTION_COLUMNS = [("#", "id", "n", 5), ("Action", "title", "", 41), ("Mould", "mould", "nowrap", 8),
                  ("Owner", "owner", "", 17), ("Status", "status", "", 10), ("Due", "due", "nowrap", 11),
                  ("Late (d)", "late", "n", 8)]
DOWNTIME_COLUMNS = [("Mould", "mould", "nowrap", 16), ("Family", "family", "", 24),
                    ("Unplanned h", "unplanned", "n", 20), ("Planned h", "planned", "n", 20),
                    ("Total h", "total", "n", 20)]


def _pm_rows(health: pd.DataFrame) -> list[dict]:
    return [{"code": h.code, "name": _short(h.name, 30), "family": h.family or "—",
             "press": "—" if _na(h.press) else h.press, "band": _badge(h.band), "used": fmt(h.pct_used, 0, " %"),
             "shots": fmt(h.shots_since_pm), "driver": h.driver or "—",
             "due": "—" if _na(h.forecast_due) else f"{pd.Timestamp(h.forecast_due):%Y-%m-%d}"}
            for h in health.itertuples()]


def _failure_rows(failures: pd.DataFrame, zone) -> list[dict]:
    return [{"when": _local(f.occurred_at, zone), "mould": f.mould, "what": f"{f.mode} / {f.component}",
             "severity": _badge(f.severity), "cavity": f.cavity or "—", "shots": fmt(f.shot_count),
             "downtime": fmt(f.downtime_hours, 1), "description": _short(f.description, 70)}
            for f in failures.itertuples()]


def _family_rows(r: ReviewContent) -> list[dict]:
    """One row per mould family: fleet, PM backlog, failures, MTBF and the leading failure mode."""
    if not len(r.health):
        return []
    mtbf = r.families.set_index("group") if len(r.families) else pd.DataFrame()
    period = r.failures.groupby("family")["id"].count() if len(r.failures) else pd.Series(dtype="int64")
    history = r.trend_failures
    year = history.groupby("family")["id"].count() if len(history) else pd.Series(dtype="int64")
    top_mode = (history.groupby(["family", "mode"])["id"].count().sort_values(ascending=False)
                .reset_index().drop_duplicates("family").set_index("family")["mode"]) if len(history) else {}
    rows = []
    for family, g in r.health.groupby("family"):
        due = int(g["band"].isin(["DUE", "OVERDUE"]).sum())
        rows.append({"family": family or "—", "moulds": len(g), "due": due,
                     "failures": fmt(period.get(family, 0)), "failures_12m": fmt(year.get(family, 0)),
                     "mtbf": si(mtbf["mtbf_shots"].get(family)) if len(mtbf) else "—",
                     "mode": top_mode.get(family, "—") if len(top_mode) else "—"})
    return rows


def _month_rows(monthly: pd.DataFrame) -> list[dict]:
    rows = []
    for m in monthly.itertuples():
        on_time = "—" if not m.pm_done else f"{m.pm_on_time / m.pm_done * 100:.0f} %"
        rows.append({"month": f"{pd.Timestamp(m.month):%b %Y}", "failures": fmt(m.failures), "serious": fmt(m.serious),
                     "downtime": fmt(m.downtime, 1), "pm_done": fmt(m.pm_done), "on_time": on_time,
                     "shots": si(m.shots)})
    return rows


def _families(r: ReviewContent) -> list[dict]:
    """One block per mould family: headline numbers, a Pareto of its failure modes (12 months), its moulds."""
    history = r.trend_failures
    mtbf = r.mtbf.set_index("group") if len(r.mtbf) else pd.DataFrame()
    out = []
    for family, g in r.health.groupby("family"):
        fam_fail = history[history["family"] == family] if len(history) else history
        by_mould = fam_fail.groupby("mould") if len(fam_fail) else None
        counts = by_mould["id"].count() if by_mould is not None else pd.Series(dtype="int64")
        hours = by_mould["downtime_hours"].sum() if by_mould is not None else pd.Series(dtype="float64")
        pareto = fail_pareto(fam_fail)
        rows = [{"code": h.code, "name": _short(h.name, 30), "band": _badge(h.band), "used": fmt(h.pct_used, 0, " %"),
                 "failures": fmt(counts.get(h.code, 0)), "downtime": fmt(hours.get(h.code, 0.0), 1),
                 "mtbf": si(mtbf["mtbf_shots"].get(h.code)) if len(mtbf) else "—", "actions": fmt(h.open_actions)}
                for h in g.sort_values("code").itertuples()]
        due = int(g["band"].isin(["DUE", "OVERDUE"]).sum())
        lost = fam_fail["downtime_hours"].sum() if len(fam_fail) else 0.0
        out.append({
            "name": family or "(no family)",
            "summary": f"{len(g)} mould(s); {due} due or overdue for PM; {len(fam_fail)} failure(s) and "
                       f"{fmt(lost, 1)} h failure downtime in the last {TREND_MONTHS} months.",
            "chart": _chart(figures.pareto(pareto, "Failure mode", "Failures", height=250)) if len(pareto) else None,
            "rows": rows,
        })
    return out


def render_html(r: ReviewContent, paper: str = "A4") -> str:
    """The review as an HTML document for WeasyPrint."""
    if paper not in PAPERS:
        raise ValueError(f"paper must be one of {PAPERS}")
    zone = site_zone(r.timezone)
    generated = f"{r.generated_at.astimezone(zone):%d %b %Y %H:%M}"
    serious = r.failures[r.failures["severity"].isin(["high", "critical"])]
    health = r.health
    modes = [m for m in r.analysis.modes if r.analysis.fits.get(m) is not None]
    life = r.analysis.life
    weibull = [_chart(figures.weibull_plot(
        r.analysis.plot_points(m), r.analysis.fits[m],
        f"{m}: {int(life[(life['mode'] == m) & life['failed']].shape[0])} failures, "
        f"{int(life[(life['mode'] == m) & ~life['failed']].shape[0])} suspensions", height=330)) for m in modes]
    empty = figures.message_figure
    top_downtime = r.downtime.head(TOP_DOWNTIME)
    worst_mtbf = r.mtbf.dropna(subset=["mtbf_shots"]).sort_values("mtbf_shots").head(10) if len(r.mtbf) else r.mtbf
    charts = {
        "bands": _chart(figures.pm_bands(r.bands, height=150)),
        "forecast": _chart(figures.pm_forecast(r.forecast, height=250)),
        "pareto_mode": _chart(figures.pareto(r.pareto_mode, "Failure mode", "Failures", height=330)
                              if len(r.pareto_mode) else empty("No failures in this period")),
        "pareto_component": _chart(figures.pareto(r.pareto_component, "Component", "Downtime (h)", height=330)
                                   if len(r.pareto_component) else empty("No downtime from failures in this period")),
        "trend": _chart(figures.monthly_trend(r.trend, height=290)),
        "owners": _chart(figures.actions_by_owner(r.actions_by_owner) if len(r.actions_by_owner)
                         else empty("No open action items", 160)),
        "downtime": _chart(figures.downtime_by_mould(top_downtime, height=max(170, 80 + 26 * len(top_downtime)))
                           if len(top_downtime) else empty("No downtime in this period", 160)),
        "weibull": weibull,
        "shots": _chart(figures.daily_shots(r.shots_daily, height=230)),
        "ages": _chart(figures.actions_by_age(r.actions_by_age, height=230)),
        "risk": _chart(figures.risk_bars(r.risk, r.risk_shots, "p_any", top=TOP_RISK)) if len(r.risk) else None,
        "mtbf": _chart(figures.reliability_bars(worst_mtbf, "mtbf_shots", "MTBF (shots), lowest 10"))
        if len(worst_mtbf) else None,
    }
    fits = r.fits
    risk = r.risk.dropna(subset=["p_any"]).head(TOP_RISK) if len(r.risk) else r.risk
    overdue = r.actions[r.actions["overdue"]].sort_values("days_overdue", ascending=False) if len(r.actions) \
        else r.actions
    context = {
        "r": r, "paper": paper, "generated": generated, "fmt": fmt, "trend_months": TREND_MONTHS,
        "period": f"{r.start:%d %b %Y} – {r.end:%d %b %Y}",
        "pareto_period": f"{r.pareto_start:%d %b %Y} to {r.end:%d %b %Y}",
        "trend_period": f"{r.trend_start:%b %Y} to {r.end:%b %Y}",
        "tiles": tiles(r), "findings": findings(r), "reliability_findings": reliability_findings(r),
        "charts": charts,
        "pm_columns": PM_COLUMNS,
        "due_rows": _pm_rows(health[health["band"].isin(["DUE", "OVERDUE"])]),
        "warning_rows": _pm_rows(health[health["band"] == "WARNING"]),
        "all_rows": _pm_rows(health.sort_values("code")),
        "severity_columns": SEVERITY_COLUMNS,
        "severity_rows": [{"severity": _badge(s.severity), "count": fmt(s.count), "downtime": fmt(s.downtime_hours, 1)}
                          for s in r.severity.itertuples()] if r.failure_summary.failures else [],
        "failure_columns": FAILURE_COLUMNS, "serious_rows": _failure_rows(serious, zone),
        "log_columns": FAILURE_COLUMNS, "log_rows": _failure_rows(r.failures.sort_values("occurred_at"), zone),
        "family_columns": FAMILY_COLUMNS, "family_rows": _family_rows(r),
        "month_columns": MONTH_COLUMNS, "month_rows": _month_rows(r.monthly),
        "family_mould_columns": FAMILY_MOULD_COLUMNS, "families": _families(r),
        "fit_columns": FIT_COLUMNS,
        "fit_rows": [{"mode": f.mode, "failures": fmt(f.failures), "susp": fmt(f.suspensions),
                      "beta": "—" if _na(f.beta) else f"{f.beta:.2f} ({f.beta_lower:.2f}–{f.beta_upper:.2f})",
                      "eta": si(f.eta), "b10": si(f.b10),
                      "pattern": "too few failures" if _na(f.beta) else str(f.pattern).split(":")[0]}
                     for f in fits.itertuples()] if len(fits) else [],
        "risk_columns": RISK_COLUMNS,
        "risk_rows": [{"code": x.code, "family": x.family, "p": fmt(x.p_any * 100, 0, " %"),
                       "days": fmt(x.days_for_n, 0)} for x in risk.itertuples()],
        "mtbf_columns": MTBF_COLUMNS,
        "mtbf_rows": [{"group": m.group, "failures": fmt(m.failures), "shots": si(m.shots), "mtbf": si(m.mtbf_shots),
                       "mtbf_h": fmt(m.mtbf_hours, 0), "mttr": fmt(m.mttr_hours, 1),
                       "downtime": fmt(m.downtime_hours, 1)} for m in worst_mtbf.itertuples()],
        "owner_columns": OWNER_COLUMNS,
        "owner_rows": [{"owner": o.owner, "open": fmt(o.open), "in_progress": fmt(o.in_progress),
                        "overdue": fmt(o.overdue), "total": fmt(o.total), "oldest": fmt(o.oldest_days)}
                       for o in r.actions_by_owner.itertuples()],
        "action_columns": ACTION_COLUMNS,
        "overdue_rows": [{"id": a.id, "title": _short(a.title, 60), "mould": "—" if _na(a.mould) else a.mould,
                          "owner": a.owner, "status": a.status.replace("_", " "), "due": f"{a.due_date:%Y-%m-%d}",
                          "late": fmt(a.days_overdue)} for a in overdue.itertuples()],
        "downtime_columns": DOWNTIME_COLUMNS,
        "downtime_rows": [{"mould": d.mould, "family": d.family, "unplanned": fmt(d.unplanned_hours, 1),
                           "planned": fmt(d.planned_hours, 1), "total": fmt(d.total_hours, 1)}
                          for d in top_downtime.itertuples()],
    }
    return _env.get_template("review.html.j2").render(**context)


def render_pdf(html: str) -> tuple[bytes, int]:
    """Lay out and print the HTML; returns the PDF and its page count."""
    from components.review_print import print_pdf

    return print_pdf(html)


def review_pdf(r: ReviewContent, paper: str = "A4") -> tuple[bytes, int]:
    """The review's PDF and page count."""
    return render_pdf(render_html(r, paper))

