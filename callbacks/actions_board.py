"""Behaviour of the actions board: KPIs, charts by owner and age, and the list; URL state."""

from __future__ import annotations

from dash import Input, Output

from auth.guard import secured_callback
from components import figures
from components.dashboard import chart, kpi, kpi_row, site_ids_for
from components.grid import data_grid, date_col, link_col, num_col, records
from components.url_state import Field, register_url_sync, standard_fields
from data.analytics import actions as ac
from data.models import utcnow
from pages import actions_board as page
from pages import actions_board_ids as ids

register_url_sync("analytics", ids.PREFIX, ids.URL, standard_fields(ids.PREFIX, dates=False) + [
    Field("show", ids.SHOW)], page.parse, with_presets=False)

COLUMNS = [
    {"field": "title", "headerName": "Action", "width": 330, "tooltipField": "title"},
    {"field": "owner", "headerName": "Owner", "width": 150}, link_col("mould", "Mould", pinned=None),
    {"field": "site", "headerName": "Site", "width": 80}, {"field": "status", "headerName": "Status", "width": 110},
    {"field": "kind", "headerName": "Kind", "width": 110}, date_col("due_date", "Due"),
    num_col("days_overdue", "Days overdue", width=120, cellClassRules={"overdue-cell": "params.value > 0"}),
    num_col("age_days", "Age (days)", width=105), {"field": "age_bucket", "headerName": "Age", "width": 120},
    date_col("created_at", "Raised"),
]


@secured_callback("analytics", Output(ids.KPIS, "children"), Output(ids.BY_OWNER, "children"),
                  Output(ids.BY_AGE, "children"), Output(ids.GRID, "children"), Input(ids.SITE, "value"),
                  Input(ids.FAMILY, "value"), Input(ids.SHOW, "value"))
def refresh(site, family, show):
    """Open (or all) actions for the sites and family in view, by owner and by age."""
    state = page.parse({"site": site or "", "family": family or "", "show": show or ""})
    today = utcnow().date()
    show = state.extra["show"]
    df = ac.actions_frame(today, site_ids_for(site), state.family, include_closed=show == "all")
    live = df[df["status"] != "closed"]
    owners = ac.actions_by_owner(df)
    listed = df[df["overdue"]] if show == "overdue" else df
    overdue = int(live["overdue"].sum())
    cards = kpi_row([
        kpi("Open actions", len(live), f"{int((live['status'] == 'in_progress').sum())} in progress", "primary",
            "actions-kpi-open"),
        kpi("Overdue", overdue, "past their due date", "danger" if overdue else "success", "actions-kpi-overdue"),
        kpi("Owners", live["owner"].nunique(), f"{int((live['owner'] == ac.UNASSIGNED).sum())} unassigned actions",
            "secondary", "actions-kpi-owners"),
        kpi("Median age", f"{int(live['age_days'].median())} d" if len(live) else "—",
            f"oldest {int(live['age_days'].max())} days" if len(live) else "", "secondary", "actions-kpi-age"),
    ])
    empty = ("No open actions here.", "Nothing waiting: actions raised from failures and PMs appear here.")
    return (
        cards,
        chart(figures.actions_by_owner(owners), len(owners) > 0, *empty),
        chart(figures.actions_by_age(ac.actions_by_age(df)), len(live) > 0, *empty),
        data_grid("actions-board", COLUMNS, records(listed), export_name="actions", height=440, page_size=50,
                  fit=False, empty=empty),
    )
