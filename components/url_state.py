"""Dashboard filters that live in the URL: parsing and validating the query string, the filter bar, and
the callback that keeps the controls and the address bar in step (so views can be bookmarked and the
back button works).

A page's layout(**query) parses the query (bad values give a message and the default), builds its
controls with those values and a page-local dcc.Location(refresh=False). register_url_sync() declares
one callback per page: a control change writes the canonical query into the address bar (pushState,
no page reload); a back/forward navigation writes the URL's values back into the controls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, ctx, dcc, html, no_update

MAX_RANGE_DAYS = 5 * 366
PRESETS = [(7, "7 d"), (30, "30 d"), (90, "90 d"), (365, "12 mo")]


@dataclass(frozen=True)
class Param:
    """One URL parameter: its default and how to parse a text value (raise ValueError with a message)."""

    name: str
    default: Any = None
    parse: Callable[[str], Any] = str


@dataclass
class FilterState:
    """Validated filter values of a page, plus the messages about what was wrong in the URL."""

    site: str | None
    start: dt.date
    end: dt.date
    family: str | None
    extra: dict[str, Any] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    default_start: dt.date | None = None
    default_end: dt.date | None = None

    def query(self) -> str:
        """The canonical query string for these values ('' for the default view)."""
        values = {"site": self.site, "family": self.family, **self.extra}
        if (self.start, self.end) != (self.default_start, self.default_end):
            values["from"], values["to"] = self.start.isoformat(), self.end.isoformat()
        return to_query(values)


def to_query(values: Mapping[str, Any]) -> str:
    """'?a=1&b=2' from the values that are set (None and '' left out), in a stable order."""
    kept = [(k, ",".join(v) if isinstance(v, (list, tuple)) else str(v)) for k, v in values.items()
            if v not in (None, "") and not (isinstance(v, (list, tuple)) and not v)]
    return "?" + urlencode(sorted(kept)) if kept else ""


def query_dict(search: str | None) -> dict[str, str]:
    """The parameters of a query string (the last value wins)."""
    return dict(parse_qsl((search or "").lstrip("?"), keep_blank_values=False))


def parse_date(value: Any) -> dt.date:
    """A date from 'YYYY-MM-DD' (or an ISO datetime); ValueError otherwise."""
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(f"'{text}' is not a date (use YYYY-MM-DD)") from None


def choice(options: Mapping[str, str] | list[str], what: str) -> Callable[[str], str]:
    """A parser that accepts one of options."""
    allowed = list(options)

    def parse(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"unknown {what} '{value}' (choose {', '.join(allowed)})")
        return value

    return parse


def code_list(options: list[str], what: str) -> Callable[[str], tuple[str, ...]]:
    """A parser for a comma-separated list of known values (order kept, duplicates dropped)."""
    allowed = set(options)

    def parse(value) -> tuple[str, ...]:
        items = value if isinstance(value, (list, tuple)) else str(value).split(",")
        items = [str(v).strip() for v in items if str(v).strip()]
        bad = [v for v in items if v not in allowed]
        if bad:
            raise ValueError(f"unknown {what} {', '.join(repr(b) for b in bad[:5])}")
        return tuple(dict.fromkeys(items))

    return parse


def int_range(low: int, high: int, what: str) -> Callable[[str], int]:
    """A parser for a whole number between low and high."""

    def parse(value: str) -> int:
        try:
            n = int(str(value).replace(",", "").replace("_", "").strip())
        except ValueError:
            raise ValueError(f"{what} '{value}' is not a whole number") from None
        if not low <= n <= high:
            raise ValueError(f"{what} must be between {low:,} and {high:,}, not {n:,}")
        return n

    return parse


def parse_filters(query: Mapping[str, Any], *, today: dt.date, default_days: int, sites: list[str],
                  families: list[str], extras: list[Param] = ()) -> FilterState:
    """Validate site, from/to, family and the page's extra parameters; fall back to defaults with a message."""
    msgs: list[str] = []
    default_start, default_end = today - dt.timedelta(days=default_days - 1), today
    site = query.get("site") or None
    if site is not None and site not in sites:
        msgs.append(f"Unknown site '{site}' (or not one of yours): showing all your sites.")
        site = None
    family = query.get("family") or None
    if family is not None and family not in families:
        msgs.append(f"Unknown mould family '{family}': showing all families.")
        family = None
    start, end = default_start, default_end
    try:
        if query.get("from"):
            start = parse_date(query["from"])
        if query.get("to"):
            end = parse_date(query["to"])
        if end > today:
            msgs.append(f"The end date {end:%d %b %Y} is in the future: showing up to today.")
            end = today
        if start > end:
            raise ValueError(f"the range starts ({start}) after it ends ({end})")
        if (end - start).days > MAX_RANGE_DAYS:
            msgs.append(f"Ranges are limited to {MAX_RANGE_DAYS // 366} years: showing the last {MAX_RANGE_DAYS // 366}"
                        " years of it.")
            start = end - dt.timedelta(days=MAX_RANGE_DAYS)
    except ValueError as exc:
        msgs.append(f"Date range ignored: {exc}. Showing the last {default_days} days.")
        start, end = default_start, default_end
    extra = {}
    for p in extras:
        raw = query.get(p.name)
        if raw in (None, ""):
            extra[p.name] = p.default
            continue
        try:
            extra[p.name] = p.parse(raw)
        except ValueError as exc:
            msgs.append(f"{str(exc)[:1].upper()}{str(exc)[1:]}: using the default.")
            extra[p.name] = p.default
    return FilterState(site, start, end, family, extra, msgs, default_start, default_end)


def messages_alert(state: FilterState, alert_id: str) -> html.Div:
    """A dismissable warning listing what was wrong in the URL (empty when nothing was)."""
    if not state.messages:
        return html.Div(id=alert_id)
    return html.Div(dbc.Alert([html.I(className="bi bi-exclamation-triangle me-2"),
                               " ".join(state.messages)], color="warning", dismissable=True, className="py-2"),
                    id=alert_id)


def site_options(sites) -> list[dict]:
    """Options of the page's site filter (codes; 'All my sites' is the cleared state)."""
    return [{"label": f"{s.code} · {s.name}", "value": s.code} for s in sites]


def filter_bar(prefix: str, state: FilterState, sites, families: list[str], extras: list = (),
               dates: bool = True, family: bool = True, site: bool = True, presets=PRESETS) -> dbc.Row:
    """Site, date range (with presets) and family controls, plus the page's own controls in `extras`."""
    today = dt.date.today()
    cols = []
    if site:
        cols.append(dbc.Col([dbc.Label("Site", html_for=f"{prefix}-site"),
                             dcc.Dropdown(id=f"{prefix}-site", options=site_options(sites), value=state.site,
                                          placeholder="All my sites", clearable=True)], xs=12, sm=6, lg=2))
    if dates:
        cols.append(dbc.Col([
            dbc.Label("Date range (UTC)", html_for=f"{prefix}-dates"),
            html.Div([
                dcc.DatePickerRange(id=f"{prefix}-dates", start_date=state.start.isoformat(),
                                    end_date=state.end.isoformat(), display_format="D MMM YYYY",
                                    max_date_allowed=today.isoformat(), first_day_of_week=1, minimum_nights=0,
                                    updatemode="bothdates", className="me-2"),
                dbc.ButtonGroup([dbc.Button(label, id={"type": f"{prefix}-preset", "days": days}, size="sm",
                                            color="secondary", outline=True) for days, label in presets],
                                className="my-1"),
            ], className="d-flex flex-wrap align-items-center"),
        ], xs=12, lg=4))
    if family:
        cols.append(dbc.Col([dbc.Label("Mould family", html_for=f"{prefix}-family"),
                             dcc.Dropdown(id=f"{prefix}-family", options=families, value=state.family,
                                          placeholder="All families", clearable=True)], xs=12, sm=6, lg=2))
    cols.extend(extras)
    return dbc.Row(cols, className="filter-bar g-2 mb-3 align-items-end")


@dataclass(frozen=True)
class Field:
    """A URL parameter bound to a control's property."""

    param: str
    component_id: str
    prop: str = "value"


def date_fields(prefix: str) -> list[Field]:
    """The from/to fields of a page's date range picker."""
    return [Field("from", f"{prefix}-dates", "start_date"), Field("to", f"{prefix}-dates", "end_date")]


def standard_fields(prefix: str, dates: bool = True, family: bool = True, site: bool = True) -> list[Field]:
    """Site, from/to and family fields of a filter bar built with the same prefix."""
    fields = [Field("site", f"{prefix}-site")] if site else []
    if dates:
        fields += date_fields(prefix)
    if family:
        fields.append(Field("family", f"{prefix}-family"))
    return fields


def register_url_sync(action: str, prefix: str, location_id: str, fields: list[Field],
                      parse: Callable[[Mapping[str, Any]], FilterState], with_presets: bool = True) -> Callable:
    """Declare the callback that writes control values to the URL and URL changes (back/forward) to controls."""
    from auth.guard import secured_callback

    outputs = [Output(location_id, "search")] + [Output(f.component_id, f.prop) for f in fields]
    inputs = [Input(location_id, "search")] + [Input(f.component_id, f.prop) for f in fields]
    if with_presets:
        inputs.append(Input({"type": f"{prefix}-preset", "days": ALL}, "n_clicks"))

    def values_of(state: FilterState) -> dict[str, Any]:
        extra = {k: list(v) if isinstance(v, tuple) else v for k, v in state.extra.items()}
        return {"site": state.site, "family": state.family, "from": state.start.isoformat(),
                "to": state.end.isoformat(), **extra}

    @secured_callback(action, *outputs, *inputs, prevent_initial_call=True)
    def sync(search, *args):
        current = dict(zip([f.param for f in fields], args[: len(fields)], strict=True))
        trigger = ctx.triggered_id
        if trigger == location_id:
            wanted = values_of(parse(query_dict(search)))
            return [no_update] + [wanted.get(f.param) if wanted.get(f.param) != current[f.param] else no_update
                                  for f in fields]
        updates = [no_update] * len(fields)
        if isinstance(trigger, dict) and trigger.get("type") == f"{prefix}-preset":
            today = dt.date.today()
            current["from"] = (today - dt.timedelta(days=int(trigger["days"]) - 1)).isoformat()
            current["to"] = today.isoformat()
            updates = [current[f.param] if f.param in ("from", "to") else no_update for f in fields]
        state = parse({k: v for k, v in current.items() if v is not None})
        query = state.query()
        return [query if query != (search or "") else no_update] + updates

    return sync
