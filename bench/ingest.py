"""Ingest throughput: `python bench/ingest.py --backend {sqlite,postgresql} --rows N`.

Loads N counter readings (300 presses, a reading per press every 30 s, each naming its mould) in
batches of 5,000 through the code the API calls (data.readings.parse_counter_batch, then
data.shot_store.ingest_counters, one commit per batch; HTTP excluded), and as the ceiling loads
the same rows into an identical table without rollups the fastest way the backend allows (one
COPY on PostgreSQL, one executemany in one transaction on SQLite). Checks that the stored shots
and rollups are exact, and prints as its last line:

    BENCH ingest backend=<b> rows=<n> rows_per_s=<x> ceiling_rows_per_s=<y> ratio=<x/y>

It creates and drops its own database (PostgreSQL: on the server the tests use; BENCH_DATABASE_URL
overrides the admin URL). By default it connects as the database owner, as the ingest API does with
INGEST_DATABASE_URL; --app-role connects as a role under row-level security, as the API does without it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("APP_MODE", "test")

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

BATCH = 5_000
PRESSES = 300
STEP_S = 30


def admin_url() -> str:
    """The PostgreSQL superuser URL: BENCH_DATABASE_URL, the tests' saved one, or postgres@127.0.0.1."""
    url = os.environ.get("BENCH_DATABASE_URL")
    saved = ROOT / "instance" / "test-pg-url"
    if not url and saved.exists():
        url = saved.read_text().strip()
    return url or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


class BenchDatabase:
    """A fresh database (and, for --app-role, a login role under row-level security), dropped at the end."""

    def __init__(self, backend: str, tmp: Path, app_role: bool) -> None:
        self.backend, self.tag = backend, secrets.token_hex(4)
        self.app_url = None
        if backend == "postgresql":
            admin = make_url(admin_url())
            self.admin = create_engine(admin, isolation_level="AUTOCOMMIT")
            self.name = f"toolmaint_bench_{self.tag}"
            with self.admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{self.name}"'))
                if app_role:
                    pw = secrets.token_urlsafe(16)
                    self.role = f"toolmaint_bench_app_{self.tag}"
                    c.execute(text(f"CREATE ROLE \"{self.role}\" LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '{pw}'"))
                    self.app_url = admin.set(database=self.name, username=self.role, password=pw).render_as_string(
                        hide_password=False)
            self.url = admin.set(database=self.name).render_as_string(hide_password=False)
        else:
            self.name = str(tmp / f"bench-{self.tag}.db")
            self.url = f"sqlite:///{self.name}"

    def drop(self) -> None:
        if self.backend == "postgresql":
            with self.admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
                if self.app_url:
                    c.execute(text(f'DROP ROLE IF EXISTS "{self.role}"'))
            self.admin.dispose()


def migrate(db: BenchDatabase, tmp: Path):
    """The real schema, by the real migrations."""
    from flask_migrate import upgrade

    from app import create_app

    app = create_app({"mode": "test", "database_url": db.app_url or db.url, "database_owner_url": db.url,
                      "instance_path": tmp, "storage_dir": tmp / "storage", "huey_immediate": True},
                     start_worker=False)
    with app.app_context():
        upgrade()
    return app


def seed(session: Session) -> tuple[int, list[str], list[str]]:
    """A site with PRESSES presses, a mould mounted on each."""
    from data.models import Mould, MouldMount, Press, Site

    site = Site(code="BENCH", name="Bench plant")
    session.add(site)
    session.flush()
    presses = [Press(site_id=site.id, code=f"B-P{i:03d}", name=f"Press {i}") for i in range(PRESSES)]
    moulds = [Mould(site_id=site.id, code=f"B-T{i:03d}", name=f"Mould {i}") for i in range(PRESSES)]
    session.add_all(presses + moulds)
    session.flush()
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    session.add_all([MouldMount(site_id=site.id, mould_id=m.id, press_id=p.id, mounted_at=start)
                     for p, m in zip(presses, moulds, strict=True)])
    for p, m in zip(presses, moulds, strict=True):
        m.current_press_id = p.id
    session.commit()
    return site.id, [p.code for p in presses], [m.code for m in moulds]


def batches(rows: int, presses: list[str], moulds: list[str], start: dt.datetime, workers: int) -> list[list[dict]]:
    """The batches each loader sends, as the API receives them (parsed JSON): per press a counter rising 1-3 per
    reading; loader w sends the presses p with p % workers == w (as separate edge processes would)."""
    out: list[list[dict]] = [[] for _ in range(workers)]
    current: list[list[dict]] = [[] for _ in range(workers)]
    for i in range(rows):
        step, p = divmod(i, PRESSES)
        ts = start + dt.timedelta(seconds=step * STEP_S + p * 0.05)
        w = p % workers
        current[w].append({"press": presses[p], "counter": "machine_cycle",
                           "ts": ts.isoformat().replace("+00:00", "Z"), "value": 1000 + 2 * step + (step * p) % 3,
                           "mould": moulds[p]})
        if len(current[w]) == BATCH:
            out[w].append({"readings": current[w], "unknown_mould": "reject"})
            current[w] = []
    for w in range(workers):
        if current[w]:
            out[w].append({"readings": current[w], "unknown_mould": "reject"})
    return out


def expected_shots(rows: int) -> int:
    total = 0
    last = {}
    for i in range(rows):
        step, p = divmod(i, PRESSES)
        v = 1000 + 2 * step + (step * p) % 3
        if p in last:
            total += v - last[p]
        last[p] = v
    return total


def _load(url: str, site_id: int, work: list[dict], now: dt.datetime, done, errors) -> None:
    """One loader: its batches through parse_counter_batch + ingest_counters, one commit per batch, as the API."""
    from data.readings import parse_counter_batch
    from data.scope import Scope, using_scope
    from data.shot_store import ingest_counters, maintain

    engine = create_engine(url, pool_size=1)
    try:
        with Session(engine, expire_on_commit=False) as session, using_scope(Scope.for_sites({site_id})):
            for payload in work:
                items, _agent, policy = parse_counter_batch(payload, now)
                ingest_counters(session, site_id, items, unknown_mould=policy, now=now)
                session.commit()
                maintain(session)  # as the API does after each batch
                with done.get_lock():
                    done.value += len(items)
    except BaseException as exc:  # report to the main process
        errors.put(f"{type(exc).__name__}: {exc}")
    finally:
        engine.dispose()


def run_ingest(db: BenchDatabase, rows: int, workers: int, loaders_as: str, log) -> tuple[float, int, int]:
    """Load the rows with `workers` loaders at once, as processes (gunicorn's WEB_WORKERS, each serving ingest
    requests) or as threads of one process (WEB_THREADS); the time counted is the wall time of the loading alone."""
    import multiprocessing
    import queue

    from data.models import ShotsHourly
    from data.scope import system_scope

    owner = create_engine(db.url)
    with Session(owner, expire_on_commit=False) as s, system_scope():
        site_id, presses, moulds = seed(s)
    owner.dispose()
    start = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) - dt.timedelta(
        seconds=(rows // PRESSES + 1) * STEP_S)
    now = dt.datetime.now(dt.UTC)
    log(f"  generating {rows:,} readings ...")
    work = batches(rows, presses, moulds, start, workers)
    if loaders_as == "processes":
        ctx = multiprocessing.get_context("fork")  # the loaders inherit their batches, already built
        done, errors, start_loader = ctx.Value("q", 0), ctx.Queue(), ctx.Process
    else:
        done, errors, start_loader = multiprocessing.Value("q", 0), queue.Queue(), threading.Thread
    loaders = [start_loader(target=_load, args=(db.app_url or db.url, site_id, work[w], now, done, errors))
               for w in range(workers)]
    t0 = time.perf_counter()
    for p in loaders:
        p.start()
    for p in loaders:  # join returns when the loader ends: the time is not rounded up to the progress interval
        while p.is_alive():
            p.join(timeout=2)
            if p.is_alive():
                log(f"  ingest: {done.value:>10,} rows, {done.value / (time.perf_counter() - t0):>10,.0f} rows/s")
    elapsed = time.perf_counter() - t0
    for p in loaders:
        p.join()
    if not errors.empty():
        raise RuntimeError(f"a loader failed: {errors.get()}")
    if any(getattr(p, "exitcode", 0) for p in loaders):
        raise RuntimeError(f"a loader exited with {[p.exitcode for p in loaders]}")
    owner = create_engine(db.url)
    with Session(owner) as s, system_scope():
        stored = s.scalar(text("SELECT coalesce(sum(shots), 0) FROM counter_readings"))
        rolled = s.scalar(select(func.coalesce(func.sum(ShotsHourly.shots), 0)))
    owner.dispose()
    return elapsed, int(stored), int(rolled)


def run_ceiling(db: BenchDatabase, rows: int) -> float:
    """The same rows into an identical table without rollups: one COPY, or one executemany."""
    from data.counters import to_signed64

    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    received = dt.datetime.now(dt.UTC)
    records = []
    for i in range(rows):
        step, p = divmod(i, PRESSES)
        records.append((1, p + 1, start + dt.timedelta(seconds=step * STEP_S + p * 0.05), "machine_cycle",
                        to_signed64(1000 + 2 * step), p + 1, 2, "bench", received))
    cols = "site_id, press_id, ts, counter, value, mould_id, shots, source, received_at"
    engine = create_engine(db.url)
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        if db.backend == "postgresql":
            conn.execute(text("CREATE TABLE counter_readings_ceiling (LIKE counter_readings INCLUDING ALL)"))
        else:
            ddl = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'counter_readings'")).scalar()
            conn.execute(text(ddl.replace("counter_readings", "counter_readings_ceiling", 1)))
            for idx in conn.execute(text("SELECT sql FROM sqlite_master WHERE type = 'index' AND "
                                         "tbl_name = 'counter_readings' AND sql IS NOT NULL")).scalars().all():
                conn.execute(text(idx.replace("ix_counter_readings", "ix_ceiling").replace(
                    "ON counter_readings", "ON counter_readings_ceiling")))
            records = [(*r[:2], r[2].replace(tzinfo=None).isoformat(" ", "microseconds"), *r[3:8],
                        r[8].replace(tzinfo=None).isoformat(" ", "microseconds")) for r in records]
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        t0 = time.perf_counter()
        if db.backend == "postgresql":
            with raw.cursor() as cur, cur.copy(f"COPY counter_readings_ceiling ({cols}) FROM STDIN (FORMAT BINARY)") \
                    as copy:
                copy.set_types(["int4", "int4", "timestamptz", "varchar", "int8", "int4", "int8", "varchar",
                                "timestamptz"])
                for r in records:
                    copy.write_row(r)
        else:
            raw.executemany(f"INSERT INTO counter_readings_ceiling ({cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            records)
        conn.commit()
        elapsed = time.perf_counter() - t0
    engine.dispose()
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), required=True)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=2,
                        help="concurrent loaders, like edge processes posting at once (default 2)")
    parser.add_argument("--loaders-as", choices=("processes", "threads"),
                        help="loaders as processes (PostgreSQL's default: a server runs several gunicorn workers) "
                             "or as threads of one process (SQLite's default: the embedded app runs one)")
    parser.add_argument("--app-role", action="store_true",
                        help="PostgreSQL: connect as a role under row-level security (the API without "
                             "INGEST_DATABASE_URL)")
    args = parser.parse_args(argv)
    args.loaders_as = args.loaders_as or ("processes" if args.backend == "postgresql" else "threads")
    log = lambda msg: print(msg, flush=True)  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="toolmaint-bench-") as tmpdir:
        tmp = Path(tmpdir)
        db = BenchDatabase(args.backend, tmp, args.app_role)
        try:
            log(f"ingest bench: {args.backend}, {args.rows:,} readings, batches of {BATCH:,}, {PRESSES} presses, "
                f"{args.workers} loaders as {args.loaders_as}, "
                f"{'app role (row-level security)' if db.app_url else 'owner'}; "
                f"started {dt.datetime.now().astimezone():%Y-%m-%d %H:%M:%S %Z}, load {os.getloadavg()[0]:.1f}")
            migrate(db, tmp)
            elapsed, stored, rolled = run_ingest(db, args.rows, args.workers, args.loaders_as, log)
            expected = expected_shots(args.rows)
            if stored != expected or rolled != expected:
                log(f"WRONG: stored {stored:,} and rolled up {rolled:,} shots, expected {expected:,}")
                return 1
            log(f"  ingest done: {args.rows:,} rows in {elapsed:.1f} s; shots exact ({expected:,})")
            ceiling = run_ceiling(db, args.rows)
            log(f"  ceiling: {args.rows:,} rows in {ceiling:.1f} s "
                f"({'one COPY' if args.backend == 'postgresql' else 'one executemany'})")
        finally:
            db.drop()
    x, y = args.rows / elapsed, args.rows / ceiling
    print(f"BENCH ingest backend={args.backend} rows={args.rows} rows_per_s={x:.0f} ceiling_rows_per_s={y:.0f} "
          f"ratio={x / y:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
