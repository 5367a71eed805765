"""Site isolation: a site-1 technician never sees or writes a site-2 row, through any path."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, func, select, text, update

from data.models import Mould, Press, Site
from data.scope import OutOfScope, Scope, using_scope
from tests.conftest import dash_post


def test_orm_queries_are_filtered_by_scope(app, world):
    from data.db import db

    s1, s2 = world["sites"]["S1"], world["sites"]["S2"]
    with app.app_context(), using_scope(Scope.for_sites({s1})):
        assert [m.code for m in db.session.scalars(select(Mould))] == ["T-1"]
        assert db.session.scalar(select(func.count(Mould.id))) == 1
        assert db.session.get(Mould, world["moulds"]["S2"]) is None
        assert [s.code for s in db.session.scalars(select(Site))] == ["S1"]
        joined = db.session.execute(select(Mould.code, Press.code).join(Press, Press.site_id == Mould.site_id)).all()
        assert joined == [("T-1", "S1-P01")]
        db.session.execute(update(Mould).values(notes="touched"))
        db.session.commit()
    with app.app_context(), using_scope(Scope(all_sites=True)):
        notes = dict(db.session.execute(select(Mould.code, Mould.notes)).all())
        assert notes == {"T-1": "touched", "T-2": ""}
    with app.app_context(), using_scope(Scope()):
        assert db.session.scalars(select(Mould)).all() == []
    del s2


def test_writes_outside_the_scope_are_refused(app, world):
    from data.db import db

    s1, s2 = world["sites"]["S1"], world["sites"]["S2"]
    with app.app_context(), using_scope(Scope.for_sites({s1})):
        db.session.add(Mould(site_id=s2, code="T-9", name="Sneaky"))
        with pytest.raises(OutOfScope):
            db.session.flush()
        db.session.rollback()
        mould = db.session.get(Mould, world["moulds"]["S1"])
        mould.site_id = s2
        with pytest.raises(OutOfScope):
            db.session.flush()
        db.session.rollback()


def test_technician_home_numbers_count_only_their_site(client, auth, world):
    auth.login("technician")
    resp = dash_post(client, "..home-cards.children...home-pm-table.children...home-updated.children..",
                     [{"id": "home-refresh", "property": "n_intervals", "value": None}])
    body = json.dumps(resp.get_json())
    assert resp.status_code == 200
    assert "T-1" in body and "T-2" not in body


def test_site_switcher_offers_only_own_sites(client, auth, world):
    auth.login("technician")
    layout = client.get("/_dash-layout").get_data(as_text=True)
    assert "Site One" in layout and "Site Two" not in layout


@pytest.mark.postgresql
def test_raw_sql_as_the_app_role_cannot_see_other_sites(app, world, database):
    """A forgotten filter in raw SQL still cannot return another site's rows (RLS as the app role)."""
    s1, s2 = world["sites"]["S1"], world["sites"]["S2"]
    engine = create_engine(database.app_url)
    try:
        with engine.connect() as c:
            assert c.execute(text("SELECT count(*) FROM moulds")).scalar() == 0  # no scope set: nothing
            c.execute(text("SELECT set_config('app.site_ids', :s, true)"), {"s": str(s1)})
            assert c.execute(text("SELECT code FROM moulds")).scalars().all() == ["T-1"]
            assert c.execute(text("SELECT code FROM sites")).scalars().all() == ["S1"]
            with pytest.raises(Exception, match="row-level security"):
                c.execute(text("INSERT INTO moulds (site_id, code, name, family, part_numbers, customer, cavities, "
                               "blocked_cavities, status, home_location, steel, maker, pm_warning_pct, lifetime_shots,"
                               " shots_since_pm, notes, created_at, updated_at) VALUES (:s, 'X', 'x', '', '', '', 1, "
                               "'', 'in_tool_room', '', '', '', 85, 0, 0, '', now(), now())"), {"s": s2})
            c.rollback()
            updated = c.execute(text("UPDATE moulds SET notes = 'x' WHERE site_id = :s"), {"s": s2}).rowcount
            assert updated == 0
            c.rollback()
            owner = c.execute(text("SELECT tableowner FROM pg_tables WHERE tablename = 'moulds'")).scalar()
            assert owner != database.role
    finally:
        engine.dispose()


def test_site_switcher_narrows_the_home_numbers(client, auth, world):
    auth.login("manager")
    home = "..home-cards.children...home-pm-table.children...home-updated.children.."
    refresh = [{"id": "home-refresh", "property": "n_intervals", "value": None}]
    both = json.dumps(dash_post(client, home, refresh).get_json())
    assert "T-1" in both and "T-2" in both
    switched = dash_post(client, "shell-location.href", [{"id": "shell-site", "property": "value",
                                                          "value": world["sites"]["S2"]}],
                         state=[{"id": "shell-location", "property": "href", "value": "http://x/"}])
    assert switched.status_code == 200
    only_s2 = json.dumps(dash_post(client, home, refresh).get_json())
    assert "T-2" in only_s2 and "T-1" not in only_s2
    dash_post(client, "shell-location.href", [{"id": "shell-site", "property": "value", "value": "all"}],
              state=[{"id": "shell-location", "property": "href", "value": "http://x/"}])
    assert "T-1" in json.dumps(dash_post(client, home, refresh).get_json())
