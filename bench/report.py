"""Benchmark: a ~20-page management review PDF of a site from demo-scale data.

    python bench/report.py [--days 365] [--site NTH] [--runs 3]

Builds its own PostgreSQL database (dropped at the end; BENCH_DATABASE_URL overrides the server's admin
URL) with a non-owner app role, runs the migrations and `seed-demo` (3 plants, 60 moulds, a year of
shots, failures, PM and actions), then times the review of the largest plant over the last year (its
annual review: 21 pages at demo scale), the way the worker makes it: gathering the figures from
data.analytics, drawing the dashboards' figures as SVG, laying out and printing the PDF with WeasyPrint
and storing it. One untimed review comes first (fonts, the layout processes), as in a worker that has made a
review before (REPORT_PROCESSES=1 times the single-process path).
Prints each run (wall and CPU seconds) and the machine's load; the last line is
`BENCH report pages=<n> seconds=<median wall seconds>` (target: at most 3 s).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dashboard import BenchDatabase, log  # noqa: E402 - the same fresh database and app role


def main(argv: list[str] | None = None) -> int:
    """Build the demo database, time the review, print the BENCH line, drop the database."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--site", default="NTH", help="site code (default: the largest demo plant)")
    ap.add_argument("--days", type=int, default=365, help="length of the review period, ending yesterday")
    ap.add_argument("--paper", choices=["A4", "Letter"], default="A4")
    ap.add_argument("--runs", type=int, default=3, help="timed reviews (the median is reported)")
    ap.add_argument("--out", type=Path, default=None, help="also write the last PDF here")
    args = ap.parse_args(argv)
    if not 1 <= args.days <= 366:
        ap.error("--days must be between 1 and 366")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    bench = BenchDatabase(os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    tmp = Path(tempfile.mkdtemp(prefix="toolmaint-bench-report-"))
    try:
        app = bench.app(tmp)
        with app.app_context():
            from data.demo import seed_demo
            from data.reports import site_by_code
            from data.scope import system_scope
            from data.storage import get_storage
            from workers.tasks_reports import generate_review

            started = time.perf_counter()
            with system_scope():
                seed_demo(progress=lambda _msg: None)
                site = site_by_code(args.site)
                if site is None:
                    raise SystemExit(f"no demo site {args.site!r}")
                site_id = site.id
            log(f"demo data seeded in {time.perf_counter() - started:.0f} s")
            from components.review_print import warm_up

            warm_up()  # fontconfig, the PDF writer and the layout processes, started once per worker
            end = dt.date.today() - dt.timedelta(days=1)
            start = end - dt.timedelta(days=args.days - 1)
            generate_review(site_id, start, end, args.paper)  # untimed: a worker that has made a review before
            walls, cpus, pages = [], [], 0
            for run in range(args.runs):
                marks: list[tuple[str, float]] = []
                t0, c0 = time.perf_counter(), time.process_time()
                def mark(_pct, msg, marks=marks):
                    marks.append((msg, time.process_time()))

                report = generate_review(site_id, start, end, args.paper, progress=mark)
                wall, cpu = time.perf_counter() - t0, time.process_time() - c0
                walls.append(wall)
                cpus.append(cpu)
                pages = report.pages
                steps = [(name, t1 - t) for (name, t), (_next, t1) in
                         zip([("start", c0), *marks], [*marks, ("end", c0 + cpu)], strict=True)]
                log(f"run {run + 1}: {report.pages} pages, {report.size_bytes / 1024:.0f} kB, "
                    f"{wall:.2f} s wall, {cpu:.2f} s CPU ("
                    + ", ".join(f"{name.lower()} {t:.2f}" for name, t in steps) + ")")
            if args.out:
                args.out.write_bytes(get_storage().get(report.storage_key))
        load = os.getloadavg()
        print(f"review of {args.site} for {start} .. {end} ({args.days} days), {args.paper}: {pages} pages; "
              f"wall s {', '.join(f'{w:.2f}' for w in walls)}; CPU s {', '.join(f'{c:.2f}' for c in cpus)}; "
              f"load average {load[0]:.1f} on {os.cpu_count()} CPUs")
        print(f"BENCH report pages={pages} seconds={statistics.median(walls):.2f}")
    finally:
        from data.db import db

        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        bench.drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
