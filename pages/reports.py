"""Reports: make a site's management review (PDF) with progress, list the reviews, download or delete them."""

from __future__ import annotations

import datetime as dt

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.guard import page_layout
from auth.session import selected_site_ids
from components.dashboard import page_header
from config import WEEKDAYS, get_config
from data.reports import default_period
from data.users import visible_sites
from pages import reports_ids as ids

dash.register_page(__name__, path="/reports", name="Reports", title="Reports · Tool Maintenance", nav=True,
                   order=60, icon="file-earmark-pdf", action="reports", group="Dashboards")

DAY_NAMES = dict(zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
                     strict=True))
SORTS = [{"label": "Newest first", "value": "created"}, {"label": "Latest period first", "value": "period"},
         {"label": "By site", "value": "site"}]


@page_layout("reports")
def layout(**_query) -> html.Div:
    """The form for a new review, its progress, and the list of reviews (filled by callbacks.reports)."""
    cfg = get_config()
    sites = visible_sites()
    chosen = selected_site_ids()
    site = next((s for s in sites if chosen and s.id in chosen), sites[0] if sites else None)
    start, end = default_period(site, cfg) if site else (dt.date.today() - dt.timedelta(days=7),
                                                        dt.date.today() - dt.timedelta(days=1))
    options = [{"label": f"{s.code} · {s.name}", "value": s.id} for s in sites]
    schedule = (f"Every {DAY_NAMES[cfg.report_day]} at {cfg.report_time} (site time) each site's review of the last "
                f"{cfg.report_period_days} days is made and e-mailed to its subscribers.")
    form = dbc.Card([
        dbc.CardHeader("New review"),
        dbc.CardBody([
            dbc.Row([
                dbc.Col([dbc.Label("Site", html_for=ids.SITE),
                         dcc.Dropdown(id=ids.SITE, options=options, value=site.id if site else None, clearable=False)],
                        md=4),
                dbc.Col([dbc.Label("Period", html_for=ids.DATES),
                         html.Div(dcc.DatePickerRange(id=ids.DATES, start_date=start.isoformat(),
                                                      end_date=end.isoformat(), display_format="YYYY-MM-DD",
                                                      max_date_allowed=dt.date.today().isoformat(),
                                                      first_day_of_week=1, minimum_nights=0))], md=4),
                dbc.Col([dbc.Label("Paper", html_for=ids.PAPER),
                         dbc.RadioItems(id=ids.PAPER, options=[{"label": "A4", "value": "A4"},
                                                               {"label": "Letter", "value": "Letter"}],
                                        value=cfg.report_paper, inline=True)], md=2),
                dbc.Col([dbc.Label("E-mail", html_for=ids.SEND),
                         dbc.Checklist(id=ids.SEND, options=[{"label": "Send to subscribers", "value": "send"}],
                                       value=[], switch=True)], md=2),
            ], className="g-3"),
            html.Div([dbc.Button([html.I(className="bi bi-file-earmark-pdf me-1"), "Make review"], id=ids.MAKE,
                                 color="primary", className="mt-3"),
                      html.Span(schedule, className="small text-body-secondary ms-3 align-bottom")]),
            html.Div(id=ids.FEEDBACK, className="mt-3"),
            html.Div(id=ids.PROGRESS, className="mt-2"),
        ]),
    ], className="shadow-sm mb-4")
    listing = dbc.Card([
        dbc.CardHeader([html.Span("Reviews"), html.Span(id=ids.COUNT, className="small text-body-secondary ms-2")]),
        dbc.CardBody([
            dbc.Row([
                dbc.Col([dbc.Label("Site", html_for=ids.FILTER, className="visually-hidden"),
                         dcc.Dropdown(id=ids.FILTER, options=options, value=None, placeholder="All my sites")], md=4),
                dbc.Col([dbc.Label("Sort", html_for=ids.SORT, className="visually-hidden"),
                         dbc.Select(id=ids.SORT, options=SORTS, value="created")], md=3),
            ], className="mb-2 g-2"),
            html.Div(id=ids.LIST),
            dbc.Pagination(id=ids.PAGE, max_value=1, active_page=1, fully_expanded=False, first_last=True,
                           previous_next=True, className="mt-2 mb-0"),
        ]),
    ], className="shadow-sm")
    return html.Div([
        page_header("Reports", "Management reviews per site as PDF: KPIs, PM status, failures, reliability, actions."),
        dcc.Store(id=ids.JOB), dcc.Store(id=ids.DONE_VERSION, data=0), dcc.Store(id=ids.DELETE_VERSION, data=0),
        dcc.Store(id=ids.PENDING), dcc.Interval(id=ids.POLL, interval=1000, disabled=True),
        dcc.ConfirmDialog(id=ids.CONFIRM, message=""),
        form, listing,
    ])
