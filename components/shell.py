"""The app frame: a navbar built from the page registry (filtered by role), site switcher, user menu."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html
from flask_login import current_user

from auth.session import csrf_token, selected_site_ids
from components import ids
from data import authz
from data.users import visible_sites


def nav_pages(user) -> list[dict]:
    """Registered pages that appear in the navbar and that this user may open, in order."""
    pages = [p for p in dash.page_registry.values() if p.get("nav")]
    allowed = [p for p in pages if authz.can(user, p.get("action", "view"))]
    return sorted(allowed, key=lambda p: (p.get("order") or 0, p["name"]))


def nav_items(pages: list[dict]) -> list:
    """Navbar entries: pages without a group as links, the others as one dropdown per group."""
    items, groups = [], {}
    for p in pages:
        label = [html.I(className=f"bi bi-{p.get('icon', 'circle')} me-1"), p["name"]]
        group = p.get("group")
        if group is None:
            items.append(dbc.NavItem(dbc.NavLink(label, href=p["relative_path"], active="exact")))
        else:
            if group not in groups:
                groups[group] = []
                items.append(group)  # placeholder keeps the group where its first page sorts
            groups[group].append(dbc.DropdownMenuItem(label, href=p["relative_path"]))
    return [dbc.DropdownMenu(groups[i], label=i, nav=True, in_navbar=True, id=f"shell-nav-{i.lower()}")
            if isinstance(i, str) else i for i in items]


def _site_switcher() -> html.Div:
    sites = visible_sites()
    selected = selected_site_ids()
    value = next(iter(selected)) if selected else "all"
    options = [{"label": "All my sites", "value": "all"}] if len(sites) > 1 else []
    options += [{"label": f"{s.code} · {s.name}", "value": s.id} for s in sites]
    if len(sites) == 1:
        value = sites[0].id
    return html.Div(
        [
            html.Label("Site", htmlFor=ids.SITE, className="visually-hidden"),
            dcc.Dropdown(id=ids.SITE, options=options, value=value, clearable=False, searchable=False,
                         style={"minWidth": "14rem"}, disabled=len(sites) <= 1),
        ],
        className="me-2 my-1 site-switcher",
    )


def _user_menu() -> dbc.DropdownMenu:
    return dbc.DropdownMenu(
        [
            dbc.DropdownMenuItem(f"Role: {current_user.role}", header=True),
            dbc.DropdownMenuItem([html.I(className="bi bi-bell me-2"), "Notifications"], href="/account/notifications",
                                 id="shell-notifications"),
            dbc.DropdownMenuItem(divider=True),
            html.Form(
                [
                    dcc.Input(type="hidden", name="csrf_token", value=csrf_token(), id="shell-csrf"),
                    html.Button([html.I(className="bi bi-box-arrow-right me-2"), "Sign out"], type="submit",
                                className="dropdown-item", id="shell-logout"),
                ],
                action="/logout",
                method="POST",
            ),
        ],
        label=[html.I(className="bi bi-person-circle me-1"), current_user.display_name or current_user.username],
        nav=True,
        align_end=True,
        id="shell-user-menu",
    )


def layout() -> html.Div:
    """The whole frame around dash.page_container (a function: it depends on who is signed in)."""
    if not current_user.is_authenticated:
        return html.Div([dcc.Location(id=ids.LOCATION), dash.page_container])
    links = nav_items(nav_pages(current_user))
    navbar = dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand([html.I(className="bi bi-tools me-2"), "Tool Maintenance"], href="/"),
                dbc.NavbarToggler(id="shell-toggler"),
                dbc.Collapse(
                    [dbc.Nav(links, navbar=True, className="me-auto", id=ids.NAV),
                     _site_switcher(), dbc.Nav([_user_menu()], navbar=True)],
                    id="shell-collapse",
                    navbar=True,
                ),
            ],
            fluid=True,
        ),
        color="dark",
        dark=True,
        expand="lg",
        className="mb-3",
    )
    return html.Div(
        [
            dcc.Location(id=ids.LOCATION, refresh="callback-nav"),
            navbar,
            html.Div(id=ids.OFFLINE_BANNER),
            dbc.Container(dash.page_container, fluid=True, className="pb-5"),
        ]
    )
