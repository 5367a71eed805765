"""Dashboard benchmark: a plant group (300 presses) with ~50 M raw counter events on PostgreSQL, and the
time the real dashboard callbacks take through Flask's test client as a signed-in manager.

    python bench/dashboard.py --backend postgresql --raw-rows 50000000

Builds its own database (dropped at the end; BENCH_DATABASE_URL overrides the server's admin URL):
the app's migrations, master data through the ORM, raw counter events (one per press per minute,
newest last) generated in SQL with generate_series, and the hourly and daily rollups by set-based
SQL from those raw rows (older months exist as rollups only, as after raw-data retention). Then it
measures p50/p95 of: the overview (its two callbacks, KPI cards and PM grid/charts, which the
browser runs side by side; the BENCH line has the slower one), one mould's year of hourly shots,
the failures Pareto over the year and plant-wide daily shots per press over the overview's default 30 days (all POSTs to
/_dash-update-component), plus the same plant-wide daily answer (and figures) computed from the raw
rows. The last line is the BENCH line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

PRESSES = 300
SITES = 4
SECOND_MOULD_SHARE = 0.5  # half the presses alternate between two moulds week by week
HISTORY_DAYS = 365
PLANT_DAYS = 30  # plant-wide daily shots per press: the overview's default range
PASSWORD = "Bench-Password-42"
MODES = [("FL", "Flash", "Parting line"), ("SS", "Short shot", "Vents"), ("WL", "Water leak", "Cooling circuit"),
         ("EP", "Broken ejector pin", "Ejector system"), ("HR", "Hot-runner zone failure", "Hot runner"),
         ("SK", "Sticking", "Slides/lifters"), ("GA", "Galling", "Guide pins/bushings"),
         ("BM", "Burn mark", "Vents")]


def log(msg: str) -> None:
    """Progress on stderr (the BENCH line is the last line on stdout)."""
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class BenchDatabase:
    """A fresh PostgreSQL database and a non-owner app role (row-level security applies), dropped at the end."""

    def __init__(self, admin_url: str) -> None:
        tag = secrets.token_hex(4)
        admin = make_url(admin_url)
        self.admin = create_engine(admin, isolation_level="AUTOCOMMIT")
        self.name, self.role = f"toolmaint_bench_{tag}", f"toolmaint_bench_app_{tag}"
        pw = secrets.token_urlsafe(16)
        with self.admin.connect() as c:
            c.execute(text(f"CREATE ROLE \"{self.role}\" LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '{pw}'"))
            c.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.owner_url = admin.set(database=self.name).render_as_string(hide_password=False)
        self.app_url = admin.set(database=self.name, username=self.role, password=pw).render_as_string(
            hide_password=False)
        self.owner = create_engine(self.owner_url)

    def app(self, tmp: Path):
        """The app on this database (connecting as the app role), migrated to the current schema."""
        from flask_migrate import upgrade

        from app import create_app

        app = create_app({"mode": "test", "database_url": self.app_url, "database_owner_url": self.owner_url,
                          "instance_path": tmp / "instance", "storage_dir": tmp / "storage", "huey_immediate": True,
                          "log_level": "WARNING"}, start_worker=False)
        with app.app_context():
            upgrade()
        return app

    def drop(self) -> None:
        """Remove the database and the role."""
        self.owner.dispose()
        with self.admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            c.execute(text(f'DROP ROLE IF EXISTS "{self.role}"'))
        self.admin.dispose()


def build_master_data(app, now: dt.datetime) -> dict:
    """Sites, the manager, presses, moulds, failure codes (through the ORM; small)."""
    from sqlalchemy import insert

    from data.db import db
    from data.models import FailureCode, Mould, MouldStatus, Press, Severity
    from data.scope import system_scope
    from data.users import create_site, create_user

    rng = np.random.default_rng(42)
    families = ["closures", "housings", "connectors", "automotive-trim", "medical"]
    with app.app_context(), system_scope():
        sites = [create_site(f"P{k + 1}", f"Plant {k + 1}", "UTC") for k in range(SITES)]
        create_user("bench", PASSWORD, "manager", [s.code for s in sites], "Bench Manager", enforce_policy=False)
        db.session.flush()
        per_site = PRESSES // SITES
        press_rows = [{"site_id": sites[i // per_site].id, "name": f"Press {i + 1}",
                       "code": f"{sites[i // per_site].code}-M{i % per_site + 1:03d}",
                       "tonnage": int(rng.choice([150, 250, 350, 500]))} for i in range(PRESSES)]
        db.session.execute(insert(Press), press_rows)
        presses = db.session.execute(text("SELECT id, site_id FROM presses ORDER BY id")).all()
        moulds = []
        for k, (pid, sid) in enumerate(presses):
            for second in (False, True):
                if second and k >= PRESSES * SECOND_MOULD_SHARE:
                    continue
                fam = families[(k + second) % len(families)]
                moulds.append({"site_id": sid, "code": f"B-{len(moulds) + 1:04d}", "name": f"{fam.title()} {k}",
                               "family": fam, "cavities": 4, "status": MouldStatus.IN_PRODUCTION,
                               "pm_interval_shots": int(rng.integers(60, 160)) * 1000, "pm_interval_days": 90,
                               "pm_warning_pct": 85, "design_life_shots": 5_000_000,
                               "current_press_id": None if second else pid,
                               "last_pm_at": now - dt.timedelta(days=float(rng.uniform(1, 100))),
                               "_press": pid, "_second": second})
        db.session.execute(insert(Mould), [{k: v for k, v in m.items() if not k.startswith("_")} for m in moulds])
        ids = db.session.execute(text("SELECT id, code FROM moulds ORDER BY id")).all()
        by_code = {code: mid for mid, code in ids}
        mapping = {}
        for m in moulds:
            mapping.setdefault(m["_press"], [None, None])[1 if m["_second"] else 0] = by_code[m["code"]]
        db.session.execute(insert(FailureCode), [
            {"code": c, "mode": mode, "mechanism": "Wear", "cause": "Maintenance", "component": comp,
             "default_severity": Severity.MEDIUM} for c, mode, comp in MODES])
        db.session.commit()
    return {"presses": presses, "mapping": mapping, "sites": [s.id for s in sites]}


def build_bulk_data(owner, master: dict, raw_rows: int, now: dt.datetime) -> dict:
    """Raw counter events, rollups (set-based SQL), failures, PM logs and actions, as the table owner."""
    presses = master["presses"]
    minutes = max(60, raw_rows // len(presses))
    end = now.replace(minute=0, second=0, microsecond=0)
    raw_start = end - dt.timedelta(minutes=minutes)
    hist_start = (end - dt.timedelta(days=HISTORY_DAYS)).replace(hour=0)
    with owner.begin() as c:
        c.execute(text("SET TIME ZONE 'UTC'"))
        c.execute(text("CREATE TABLE bench_map (press_id int PRIMARY KEY, site_id int, m1 int, m2 int)"))
        c.execute(text("INSERT INTO bench_map VALUES (:p, :s, :m1, :m2)"),
                  [{"p": p, "s": s, "m1": master["mapping"][p][0], "m2": master["mapping"][p][1]} for p, s in presses])
    # A mould alternates weekly with the press's second mould; presses idle ~15 % of minutes in bursts.
    mould_expr = "CASE WHEN b.m2 IS NOT NULL AND ({n} / 10080) % 2 = 1 THEN b.m2 ELSE b.m1 END"
    shots_expr = "CASE WHEN ({n} + b.press_id * 37) % 1440 < 200 OR ({n} / 60 + b.press_id) % 23 = 0 THEN 0 ELSE 2 END"
    step = 25
    t0 = time.perf_counter()
    for lo in range(0, len(presses), step):
        ids = [p for p, _s in presses[lo:lo + step]]
        with owner.begin() as c:
            c.execute(text(f"""
                INSERT INTO counter_readings (site_id, press_id, ts, counter, value, mould_id, shots, source,
                                              received_at)
                SELECT b.site_id, b.press_id, :start + g.n * interval '1 minute', 'cycle', 2 * g.n,
                       {mould_expr.format(n='g.n')}, {shots_expr.format(n='g.n')}, 'bench',
                       :start + g.n * interval '1 minute'
                FROM bench_map b CROSS JOIN generate_series(0, :minutes - 1) AS g(n)
                WHERE b.press_id = ANY(:ids)"""), {"start": raw_start, "minutes": minutes, "ids": ids})
        done = min(lo + step, len(presses)) * minutes
        log(f"raw counter events: {done:,} ({done / (time.perf_counter() - t0):,.0f} rows/s)")
    with owner.begin() as c:
        c.execute(text("SET TIME ZONE 'UTC'"))
        c.execute(text("SET LOCAL work_mem = '512MB'"))
        log("hourly rollup from raw rows (set-based) ...")
        c.execute(text("""
            INSERT INTO shots_hourly (site_id, press_id, mould_id, bucket, shots)
            SELECT site_id, press_id, coalesce(mould_id, 0), date_trunc('hour', ts), sum(shots)
            FROM counter_readings GROUP BY 1, 2, 3, 4"""))
        log("older hourly rollups (raw rows already pruned) ...")
        c.execute(text(f"""
            INSERT INTO shots_hourly (site_id, press_id, mould_id, bucket, shots)
            SELECT b.site_id, b.press_id, {mould_expr.format(n='(h.k * 60)')},
                   :hist + h.k * interval '1 hour', 110
            FROM bench_map b CROSS JOIN generate_series(0, :hours - 1) AS h(k)
            WHERE (h.k + b.press_id * 3) % 24 < 21"""),
                  {"hist": hist_start, "hours": int((raw_start - hist_start).total_seconds() // 3600)})
        log("daily rollup from the hourly rollup ...")
        c.execute(text("""
            INSERT INTO shots_daily (site_id, press_id, mould_id, day, shots)
            SELECT site_id, press_id, mould_id, (bucket AT TIME ZONE 'UTC')::date, sum(shots)
            FROM shots_hourly GROUP BY 1, 2, 3, 4"""))
        c.execute(text("""
            UPDATE moulds m SET lifetime_shots = 2000000 + s.total,
                   shots_since_pm = least(s.total, (m.id * 7919) % m.pm_interval_shots * 12 / 10)
            FROM (SELECT mould_id, sum(shots) AS total FROM shots_daily GROUP BY mould_id) s
            WHERE s.mould_id = m.id"""))
        log("failures, PM logs, actions, mounts ...")
        c.execute(text("""
            INSERT INTO failure_reports (site_id, mould_id, press_id, failure_code_id, severity, cavity, occurred_at,
                                         shot_count, downtime_hours, repair_hours, description, created_at)
            SELECT m.site_id, m.id, b.press_id, 1 + (m.id * 7 + k) % 8,
                   (ARRAY['low','medium','medium','high','critical'])[1 + (m.id + k) % 5], '',
                   :hist + ((k * 53 + m.id) % 360) * interval '1 day' + (m.id % 24) * interval '1 hour',
                   2000000 + k * 250000 + (m.id * 1013) % 200000, 1 + (m.id + k) % 9, 1 + (m.id + k) % 5,
                   'bench failure', now()
            FROM moulds m JOIN bench_map b ON m.id IN (b.m1, b.m2) CROSS JOIN generate_series(0, 6) AS k"""),
                  {"hist": hist_start})
        c.execute(text("""
            INSERT INTO maintenance_logs (site_id, mould_id, kind, performed_at, shot_count, labour_hours,
                                          downtime_hours, parts_cost, labour_cost, work_done, notes, created_at)
            SELECT m.site_id, m.id, 'preventive', :hist + (k * 60 + m.id % 50) * interval '1 day',
                   2000000 + k * m.pm_interval_shots, 3, 3, 0, 165, 'PM', '', now()
            FROM moulds m CROSS JOIN generate_series(0, 5) AS k"""), {"hist": hist_start})
        c.execute(text("""
            INSERT INTO action_items (site_id, title, description, kind, status, due_date, mould_id,
                                      verification_note, created_at, updated_at)
            SELECT m.site_id, 'Bench action ' || m.id || '-' || k, '', 'corrective',
                   (ARRAY['open','in_progress','closed'])[1 + (m.id + k) % 3],
                   (now() - ((m.id * 3 + k * 11) % 60 - 20) * interval '1 day')::date, m.id, '', now()
                   - ((m.id + k * 17) % 120) * interval '1 day', now()
            FROM moulds m CROSS JOIN generate_series(0, 1) AS k"""))
        c.execute(text("""
            INSERT INTO mould_mounts (site_id, mould_id, press_id, mounted_at, source)
            SELECT m.site_id, m.id, b.press_id, :hist, 'bench'
            FROM moulds m JOIN bench_map b ON m.id IN (b.m1, b.m2)"""), {"hist": hist_start})
        c.execute(text("DROP TABLE bench_map"))
    with owner.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        log("VACUUM ANALYZE ...")
        c.execute(text("VACUUM ANALYZE"))
        n_raw = c.execute(text("SELECT count(*) FROM counter_readings")).scalar()
        n_hourly = c.execute(text("SELECT count(*) FROM shots_hourly")).scalar()
    return {"raw_rows": int(n_raw), "hourly_rows": int(n_hourly), "raw_start": raw_start, "end": end}


def dash_body(output: str, inputs: list[dict], changed: list[str] | None = None) -> dict:
    """The JSON a browser posts to /_dash-update-component for a callback."""
    parts = output.strip(".").split("...") if output.startswith("..") else [output]
    outputs = [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]} for p in parts]
    return {"output": output, "outputs": outputs if output.startswith("..") else outputs[0], "inputs": inputs,
            "state": [], "changedPropIds": changed or [f"{i['id']}.{i['property']}" for i in inputs]}


def inp(cid: str, prop: str, value) -> dict:
    """One callback input."""
    return {"id": cid, "property": prop, "value": value}


def sign_in(client) -> None:
    """Sign the test client in through the real login form."""
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resp = client.post("/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token})
    if resp.status_code not in (302, 303):
        raise SystemExit(f"sign-in failed: {resp.status_code}")


def timed(fn, repeat: int, warmup: int = 2) -> list[float]:
    """Milliseconds per call after warm-up calls."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000.0)
    return out


def pct(values: list[float], q: float) -> float:
    """The q-th percentile."""
    return float(np.percentile(values, q))


def raw_plant_daily(app, client, start: dt.date, end: dt.date):
    """The plant-wide daily shots per press from raw counter events, in the request's scope, with the same figures."""
    import pandas as pd
    import plotly.io as pio

    from components import figures
    from data.analytics.common import press_codes, site_codes, window
    from data.analytics.series import daily_matrix
    from data.db import db

    t0, t1 = window(start, end)
    cookie = client.get_cookie("toolmaint_session")
    with app.test_request_context("/overview", headers={"Cookie": f"toolmaint_session={cookie.value}"}):
        app.preprocess_request()  # the guard sets the signed-in user's scope (and PostgreSQL's RLS settings)
        rows = db.session.execute(text(
            "SELECT press_id, site_id, (date_trunc('day', ts AT TIME ZONE 'UTC'))::date AS day, sum(shots) "
            "FROM counter_readings WHERE ts >= :t0 AND ts < :t1 GROUP BY 1, 2, 3"), {"t0": t0, "t1": t1}).all()
        df = pd.DataFrame(rows, columns=["press_id", "site_id", "day", "shots"])
        df["press"], df["site"] = df["press_id"].map(press_codes()), df["site_id"].map(site_codes())
        df["shots"] = df["shots"].astype("int64")
        figs = [figures.daily_by_site(df, start, end), figures.plant_heatmap(daily_matrix(df, start, end))]
        payload = [pio.to_json(f) for f in figs]
        db.session.remove()
    return int(df["shots"].sum()), sum(len(p) for p in payload)


def rss_mb() -> float:
    """Peak resident memory of this (web) process in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv: list[str] | None = None) -> int:
    """Build, measure, print the BENCH line, drop the database."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backend", choices=["postgresql"], default="postgresql")
    ap.add_argument("--raw-rows", type=int, default=50_000_000, help="raw counter events to generate")
    ap.add_argument("--repeat", type=int, default=30, help="timed calls per dashboard callback")
    ap.add_argument("--raw-repeat", type=int, default=5, help="timed raw-row computations")
    ap.add_argument("--keep", action="store_true", help="keep the database (for inspection)")
    args = ap.parse_args(argv)
    if args.raw_rows < PRESSES * 2 * 1440:
        ap.error(f"--raw-rows must be at least {PRESSES * 2 * 1440:,} (two days of minutes for each of {PRESSES} "
                 "presses: the raw and rollup answers are compared over whole days)")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    admin_url = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    bench = BenchDatabase(admin_url)
    tmp = Path(tempfile.mkdtemp(prefix="toolmaint-bench-"))
    try:
        app = bench.app(tmp)
        now = dt.datetime.now(dt.UTC)
        t_build = time.perf_counter()
        master = build_master_data(app, now)
        info = build_bulk_data(bench.owner, master, args.raw_rows, now)
        log(f"built {info['raw_rows']:,} raw rows and {info['hourly_rows']:,} hourly rollup rows in "
            f"{time.perf_counter() - t_build:,.0f} s")

        client = app.test_client()
        sign_in(client)
        today = info["end"].date()
        year_ago = today - dt.timedelta(days=364)
        # The overview's default view: the last 30 UTC days (whole days inside the raw window).
        raw_last = (info["end"] - dt.timedelta(seconds=1)).date()
        raw_first = max(raw_last - dt.timedelta(days=PLANT_DAYS - 1), info["raw_start"].date() + dt.timedelta(days=1))
        mould_code = "B-0001"

        def post(body):
            resp = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
            if resp.status_code != 200:
                raise SystemExit(f"callback {body['output']} failed: {resp.status_code} {resp.get_data()[:300]!r}")
            return resp

        view = [inp("overview-site", "value", None), inp("overview-family", "value", None)]
        overview = dash_body("..overview-bands.children...overview-forecast.children...overview-health.children..."
                             "overview-updated.children..", view)
        overview_kpis = dash_body("overview-kpis.children", view)
        year = [inp("tool-dates", "start_date", year_ago.isoformat()), inp("tool-dates", "end_date", today.isoformat())]
        tool_year = dash_body("..tool-shots.figure...tool-shots-note.children..",
                              [inp("tool-code", "data", mould_code), *year, inp("tool-res", "value", "hour"),
                               inp("tool-shots", "relayoutData", None)], changed=["tool-dates.start_date"])
        pareto = dash_body("failures-pareto.children",
                           [inp("failures-site", "value", None),
                            inp("failures-dates", "start_date", year_ago.isoformat()),
                            inp("failures-dates", "end_date", today.isoformat()), inp("failures-family", "value", None),
                            inp("failures-moulds", "value", []), inp("failures-severity", "value", []),
                            inp("failures-by", "value", "mode"), inp("failures-metric", "value", "count")])
        plant = dash_body("..overview-daily.children...overview-heatmap.children..",
                          [inp("overview-site", "value", None),
                           inp("overview-dates", "start_date", raw_first.isoformat()),
                           inp("overview-dates", "end_date", raw_last.isoformat()),
                           inp("overview-family", "value", None)])

        # Check the answers before timing them: a year of hourly points downsampled, the raw and rollup totals agree.
        fig = json.loads(post(tool_year).get_data())["response"]["tool-shots"]["figure"]
        ys = fig["data"][0]["y"]
        n_points = len(ys) if isinstance(ys, list) else len(__import__("base64").b64decode(ys["bdata"])) // np.dtype(
            ys["dtype"]).itemsize
        log(f"tool year figure: {n_points} points in the trace")
        raw_total, _ = raw_plant_daily(app, client, raw_first, raw_last)
        from data.analytics.series import plant_daily
        from data.scope import system_scope

        with app.app_context(), system_scope():
            roll_total = int(plant_daily(raw_first, raw_last)["shots"].sum())
        if raw_total != roll_total:
            raise SystemExit(f"raw ({raw_total}) and rollup ({roll_total}) plant-wide daily totals differ")
        log(f"plant-wide daily {raw_first} .. {raw_last}: {roll_total:,} shots from both sources")

        results = {}
        for name, body in (("overview", overview), ("overview_kpis", overview_kpis), ("tool_year", tool_year),
                           ("pareto", pareto), ("plant_daily", plant)):
            results[name] = timed(lambda b=body: post(b), args.repeat)
            log(f"{name}: p50 {pct(results[name], 50):.1f} ms, p95 {pct(results[name], 95):.1f} ms")
        results["raw_plant_daily"] = timed(lambda: raw_plant_daily(app, client, raw_first, raw_last),
                                           args.raw_repeat, warmup=1)
        log(f"raw_plant_daily: p50 {pct(results['raw_plant_daily'], 50):.0f} ms, "
            f"p95 {pct(results['raw_plant_daily'], 95):.0f} ms")
        p95 = {k: pct(v, 95) for k, v in results.items()}
        speedup = p95["raw_plant_daily"] / p95["plant_daily"]
        print(json.dumps({k: {"p50": round(statistics.median(v), 1), "p95": round(p95[k], 1)}
                          for k, v in results.items()}))
        overview_p95 = max(p95["overview"], p95["overview_kpis"])  # the page's two callbacks: the slower
        print(f"BENCH dashboard raw_rows={info['raw_rows']} overview_p95_ms={overview_p95:.1f} "
              f"tool_year_p95_ms={p95['tool_year']:.1f} pareto_p95_ms={p95['pareto']:.1f} "
              f"plant_daily_p95_ms={p95['plant_daily']:.1f} raw_plant_daily_p95_ms={p95['raw_plant_daily']:.1f} "
              f"speedup={speedup:.1f} web_rss_mb={rss_mb():.0f}", flush=True)
        return 0
    finally:
        try:
            from data.db import db

            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        except Exception:  # the app may not exist if set-up failed
            pass
        if args.keep:
            log(f"kept database {bench.name}")
        else:
            bench.drop()


if __name__ == "__main__":
    raise SystemExit(main())
