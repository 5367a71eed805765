"""The demo data set: three plants, ~60 moulds on ~40 presses, a year of shots, PM, failures, actions.

Failures are drawn from a Weibull life (in shots) per failure mode, renewed at each repair, so the
reliability pages estimate something real; moulds that have not failed are suspensions. Other
modules add to the demo by defining `data/demo_<topic>.py` with `seed(ctx: DemoContext)`; they are
called in name order after the core data exists.
"""

from __future__ import annotations

import datetime as dt
import heapq
import importlib
import logging
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from sqlalchemy import func, insert, select

import data
from data.db import db
from data.models import (
    ActionItem,
    ActionKind,
    ActionStatus,
    ChecklistResult,
    CheckResult,
    FailureCode,
    FailureReport,
    MaintenanceKind,
    MaintenanceLog,
    Mould,
    MouldMount,
    MouldStatus,
    PartUsed,
    PMTemplate,
    PMTemplateItem,
    Press,
    Role,
    Severity,
    ShotsDaily,
    ShotsHourly,
    Site,
    User,
)
from data.users import create_site, create_user

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "demo"
HOUR = dt.timedelta(hours=1)


class DemoExists(RuntimeError):
    """The database already holds data; seeding would mix demo data into it."""


SITES = [
    # code, name, timezone, presses, moulds
    ("NTH", "North Plant", "Europe/Berlin", 18, 26),
    ("STH", "South Plant", "Europe/Berlin", 14, 20),
    ("EST", "East Plant", "America/Chicago", 8, 14),
]

ACCOUNTS = [
    # username, display name, role, site codes
    ("admin", "Alex Admin", Role.ADMIN, ["NTH", "STH", "EST"]),
    ("manager", "Morgan Manager", Role.MANAGER, ["NTH", "STH", "EST"]),
    ("engineer", "Erin Engineer", Role.ENGINEER, ["NTH", "STH", "EST"]),
    ("technician", "Toni Technician", Role.TECHNICIAN, ["NTH"]),
    ("technician2", "Sam Technician", Role.TECHNICIAN, ["STH"]),
]

# family: cavities, cycle seconds (min, max), PM interval shots (min, max), PM days, design life
FAMILIES = {
    "closures": ((16, 32, 48), (7, 12), (300_000, 500_000), 120, 20_000_000),
    "housings": ((1, 2, 4), (25, 45), (100_000, 160_000), 90, 3_000_000),
    "connectors": ((8, 16, 24), (12, 20), (200_000, 300_000), 120, 8_000_000),
    "automotive-trim": ((1, 2), (45, 70), (60_000, 90_000), 90, 1_500_000),
    "medical": ((16, 32), (10, 16), (250_000, 350_000), 30, 10_000_000),
}

CHECKLISTS = {
    "closures": ["Clean parting line and vents", "Check hot-runner zone temperatures", "Inspect stripper rings",
                 "Check cooling flow per circuit", "Grease guide pins and bushings", "Check thread cores for wear"],
    "housings": ["Clean parting line and vents", "Inspect ejector pins for wear", "Check slides and wear plates",
                 "Check cooling circuits for leaks", "Grease guide pins and bushings"],
    "connectors": ["Clean vents", "Inspect core pins for bending", "Check ejector plate return",
                   "Check cooling flow per circuit", "Inspect gate areas"],
    "automotive-trim": ["Clean parting line", "Inspect lifters and slides", "Check hydraulic cores",
                        "Check texture for damage", "Check cooling circuits for leaks", "Grease guide pins"],
    "medical": ["Clean and passivate cavities", "Check hot-runner zones", "Inspect vents",
                "Verify cooling flow and temperatures", "Check cavity identification", "Document cleanroom release"],
}

# code, mode, mechanism, cause, component, severity, Weibull beta, eta (shots); eta None: catalogue only
FAILURE_CODES = [
    ("FL-WR-PL", "Flash", "Wear", "Maintenance", "Parting line", Severity.MEDIUM, 2.2, 3_500_000),
    ("SS-BL-VT", "Short shot", "Blockage", "Operation", "Vents", Severity.LOW, 1.3, 5_000_000),
    ("BM-BL-VT", "Burn mark", "Blockage", "Maintenance", "Vents", Severity.LOW, 1.5, 6_000_000),
    ("WL-CO-CC", "Water leak", "Corrosion", "Maintenance", "Cooling circuit", Severity.HIGH, 1.8, 6_500_000),
    ("EP-FA-EJ", "Broken ejector pin", "Fatigue", "Design", "Ejector system", Severity.HIGH, 2.8, 4_500_000),
    ("HR-EL-HR", "Hot-runner zone failure", "Electrical", "Manufacture", "Hot runner", Severity.CRITICAL, 1.1,
     8_000_000),
    ("SK-DE-SL", "Sticking", "Deformation", "Design", "Slides/lifters", Severity.MEDIUM, 1.6, 5_500_000),
    ("GA-WR-GP", "Galling", "Wear", "Maintenance", "Guide pins/bushings", Severity.MEDIUM, 3.0, 6_000_000),
    ("FL-DE-CV", "Flash", "Deformation", "Design", "Cavity", Severity.MEDIUM, None, None),
    ("CR-FA-CO", "Cracked core", "Fatigue", "Manufacture", "Core", Severity.CRITICAL, None, None),
    ("WL-WR-CC", "Water leak", "Wear", "Maintenance", "Cooling circuit", Severity.HIGH, None, None),
    ("SK-WR-EJ", "Sticking", "Wear", "Operation", "Ejector system", Severity.MEDIUM, None, None),
]

DOWNTIME_H = {Severity.LOW: 1.5, Severity.MEDIUM: 4.0, Severity.HIGH: 10.0, Severity.CRITICAL: 24.0}

ACTION_TITLES = {
    "Flash": "Re-spot parting line on {code}",
    "Short shot": "Clean and deepen vents on {code}",
    "Burn mark": "Add venting at end of fill on {code}",
    "Water leak": "Replace O-rings and pressure-test cooling on {code}",
    "Broken ejector pin": "Replace ejector pins with nitrided pins on {code}",
    "Hot-runner zone failure": "Replace heater and thermocouple, check wiring on {code}",
    "Sticking": "Polish slide faces and check draft on {code}",
    "Galling": "Replace guide bushings and review lubrication on {code}",
}

PARTS = {
    "Water leak": ("OR-2x30", "O-ring 2x30 FKM", Decimal("1.80")),
    "Broken ejector pin": ("EJ-6x250", "Ejector pin 6x250 nitrided", Decimal("14.50")),
    "Hot-runner zone failure": ("HR-HTR-12", "Nozzle heater 230V 400W", Decimal("185.00")),
    "Galling": ("GB-25", "Guide bushing 25 mm", Decimal("42.00")),
    "Flash": ("SPOT-BLUE", "Spotting blue", Decimal("9.00")),
}
LABOUR_RATE = Decimal("55.00")


@dataclass
class DemoContext:
    """What extra demo seeders get: the generated rows and the random generator."""

    rng: np.random.Generator
    start: dt.datetime
    end: dt.datetime
    sites: list[Site]
    presses: list[Press]
    moulds: list[Mould]
    users: dict[str, User]
    progress: Callable[[str], None]
    counts: dict[str, int] = field(default_factory=dict)


def _weibull(rng: np.random.Generator, beta: float, eta: float) -> float:
    return float(eta * rng.weibull(beta))


def _activity(hours: np.ndarray, tz_offset: int, rng: np.random.Generator) -> np.ndarray:
    """Probability that a press runs in each hour: three shifts on weekdays, fewer at weekends."""
    local = hours + np.timedelta64(tz_offset, "h")
    dow = ((local.astype("datetime64[D]").astype(np.int64) + 3) % 7)  # 0 = Monday
    hod = (local.astype("datetime64[h]").astype(np.int64) % 24)
    p = np.where(dow < 5, 0.92, np.where(dow == 5, 0.55, 0.15))
    p = p * np.where((hod >= 22) | (hod < 6), 0.85, 1.0)
    return p * rng.uniform(0.9, 1.0)


def _create_master_data(rng, users_progress) -> tuple[list[Site], list[Press], list[Mould], dict[str, User], dict]:
    sites = [create_site(code, name, tz) for code, name, tz, _, _ in SITES]
    users = {}
    for username, name, role, codes in ACCOUNTS:
        users[username] = create_user(username, DEMO_PASSWORD, role, codes, name, f"{username}@example.com",
                                      enforce_policy=False)
    templates = {}
    for family, items in CHECKLISTS.items():
        t = PMTemplate(family=family, name=f"PM {family}",
                       items=[PMTemplateItem(position=i, text=text) for i, text in enumerate(items)])
        db.session.add(t)
        templates[family] = t
    codes = {}
    for code, mode, mech, cause, comp, sev, _beta, _eta in FAILURE_CODES:
        fc = FailureCode(code=code, mode=mode, mechanism=mech, cause=cause, component=comp, default_severity=sev,
                         description=f"{mode} ({mech.lower()}) at {comp.lower()}, cause: {cause.lower()}")
        db.session.add(fc)
        codes[code] = fc
    presses, moulds = [], []
    makers = ["Engel", "Arburg", "KraussMaffei", "Haitian", "Sumitomo Demag", "Wittmann Battenfeld"]
    toolmakers = ["Hofmann Formenbau", "Precise Tooling", "Summit Moulds", "Alpine Tool & Die"]
    customers = ["Acme Packaging", "Nordic Medical", "Volta Automotive", "Helix Electronics", "Brightcap"]
    fams = list(FAMILIES)
    n_mould = 100
    for site, (code, _name, _tz, n_press, n_moulds) in zip(sites, SITES, strict=False):
        for i in range(1, n_press + 1):
            maker = makers[int(rng.integers(len(makers)))]
            tonnage = int(rng.choice([80, 150, 220, 350, 500]))
            p = Press(site_id=site.id, code=f"{code}-P{i:02d}", name=f"{maker} {tonnage}t", manufacturer=maker,
                      model=f"{maker[:3].upper()}-{int(rng.integers(100, 999))}",
                      serial_number=f"SN{int(rng.integers(10**6, 10**7))}", tonnage=tonnage)
            db.session.add(p)
            presses.append(p)
        for _ in range(n_moulds):
            family = fams[int(rng.integers(len(fams)))]
            cav, cyc, pm_shots, pm_days, life = FAMILIES[family]
            n_mould += 1
            interval = int(round(rng.uniform(*pm_shots), -4))
            m = Mould(
                site_id=site.id, code=f"T-{n_mould}", name=f"{family.replace('-', ' ').title()} {n_mould}",
                family=family, part_numbers=f"PN-{int(rng.integers(10000, 99999))}",
                customer=customers[int(rng.integers(len(customers)))], cavities=int(rng.choice(cav)),
                status=MouldStatus.IN_TOOL_ROOM,
                home_location=f"Rack {chr(65 + int(rng.integers(6)))}{int(rng.integers(1, 20))}",
                steel=str(rng.choice(["1.2343", "1.2738", "1.2316", "S136", "H13"])),
                maker=toolmakers[int(rng.integers(len(toolmakers)))], design_life_shots=life,
                pm_interval_shots=interval, pm_interval_days=pm_days, pm_warning_pct=85,
            )
            m._cycle_s = float(rng.uniform(*cyc))
            db.session.add(m)
            moulds.append(m)
    db.session.flush()
    return sites, presses, moulds, users, {"codes": codes, "templates": templates}


def _mount_schedule(rng, presses, moulds, hours) -> tuple[dict[int, np.ndarray], list[dict]]:
    """Campaigns of 3-21 days per press with a few hours of mould change between them.

    Presses are scheduled together in time order, so a mould is never on two presses at once.
    """
    n = len(hours)
    by_site: dict[int, list[Mould]] = {}
    for m in moulds:
        by_site.setdefault(m.site_id, []).append(m)
    busy_until = {m.id: 0 for m in moulds}
    on_press = {p.id: np.full(n, -1, dtype=np.int64) for p in presses}
    mounts = []
    queue = [(int(rng.integers(0, 48)), k) for k in range(len(presses))]
    heapq.heapify(queue)
    while queue:
        t, k = heapq.heappop(queue)
        if t >= n:
            continue
        p = presses[k]
        candidates = [m for m in by_site[p.site_id] if busy_until[m.id] <= t]
        if not candidates:
            heapq.heappush(queue, (t + 12, k))
            continue
        m = candidates[int(rng.integers(len(candidates)))]
        end = min(n, t + int(rng.integers(3 * 24, 21 * 24)))
        on_press[p.id][t:end] = m.id
        busy_until[m.id] = end + 4
        mounts.append({"mould_id": m.id, "press_id": p.id, "site_id": p.site_id, "start": t,
                       "end": end if end < n else None})
        heapq.heappush(queue, (end + int(rng.integers(2, 9)), k))
    return on_press, mounts


def seed_demo(months: int = 12, seed: int = 7, now: dt.datetime | None = None,
              progress: Callable[[str], None] = logger.info) -> str:
    """Create the demo data set in an empty database (call in a system scope) and commit it."""
    if db.session.scalar(select(func.count()).select_from(Site)):
        raise DemoExists("The database already has sites: demo data not added (use an empty database).")
    rng = np.random.default_rng(seed)
    now = (now or dt.datetime.now(dt.UTC)).replace(minute=0, second=0, microsecond=0)
    start = now - dt.timedelta(days=round(months * 30.4))
    progress("Creating sites, users, presses, moulds and catalogue ...")
    sites, presses, moulds, users, lookup = _create_master_data(rng, progress)
    codes, templates = lookup["codes"], lookup["templates"]
    tz_offset = {s.id: (1 if "Europe" in s.timezone else -6) for s in sites}
    n_hours = int((now - start) / HOUR)
    hours = np.datetime64(start.replace(tzinfo=None), "h") + np.arange(n_hours)

    progress("Scheduling mould changes ...")
    on_press, mounts = _mount_schedule(rng, presses, moulds, hours)
    mould_by_id = {m.id: m for m in moulds}

    # Shots per mould per hour (summed over presses), and which press it was on.
    shots = {m.id: np.zeros(n_hours) for m in moulds}
    where = {m.id: np.full(n_hours, -1, dtype=np.int64) for m in moulds}
    for p in presses:
        track = on_press[p.id]
        run = rng.random(n_hours) < _activity(hours, tz_offset[p.site_id], rng)
        avail = rng.uniform(0.6, 0.97, n_hours) * run
        for mid in np.unique(track[track >= 0]):
            sel = track == mid
            per_hour = 3600.0 / mould_by_id[int(mid)]._cycle_s
            shots[int(mid)][sel] += np.floor(per_hour * avail[sel])
            where[int(mid)][sel] = p.id

    progress("Drawing failures from Weibull lives and scheduling PM ...")
    techs = {s.id: [u for u in users.values() if s.id in u.site_ids and u.role == Role.TECHNICIAN] for s in sites}
    managers = [users["manager"], users["engineer"]]
    fail_modes = [c for c in FAILURE_CODES if c[6] is not None]
    hourly_rows, failure_count, pm_count, action_count = [], 0, 0, 0
    for m in moulds:
        s = shots[m.id]
        pre_days = int(rng.uniform(60, 3 * 365))
        rate_day = 3600.0 / m._cycle_s * 24 * 0.65
        life0 = int(pre_days * rate_day)
        commissioned = start - dt.timedelta(days=pre_days)

        def when(lifetime: float, s=s, life0=life0, commissioned=commissioned) -> tuple[dt.datetime, int]:
            """The time and hour index at which the mould's lifetime reached this count."""
            if lifetime <= life0:
                frac = lifetime / max(life0, 1)
                return commissioned + (start - commissioned) * frac, -1
            idx = int(np.searchsorted(np.cumsum(s), lifetime - life0))
            idx = min(idx, n_hours - 1)
            return start + idx * HOUR + dt.timedelta(minutes=int(rng.integers(0, 60))), idx

        # Preventive maintenance around the interval: mostly on time, sometimes late, by shots or days.
        template = templates[m.family]
        pm_hours: list[tuple[int, float]] = []
        since0 = since = float(rng.uniform(0, 0.7)) * m.pm_interval_shots
        last_pm_at = start - dt.timedelta(days=float(rng.uniform(0, 0.7) * m.pm_interval_days))
        factor = float(rng.uniform(0.85, 1.0))
        # A backlog: some moulds have had no PM for the last weeks, so some are now DUE or OVERDUE.
        pm_stop = n_hours - 24 * (int(rng.uniform(20, 70)) if rng.random() < 0.2 else 3)
        for i in range(pm_stop):
            since += s[i]
            t = start + i * HOUR
            if since >= m.pm_interval_shots * factor or (t - last_pm_at).days >= m.pm_interval_days * factor:
                labour_h = round(float(rng.uniform(2, 6)), 1)
                s[i + 1: i + 1 + int(np.ceil(labour_h))] = 0
                pm_hours.append((i, labour_h))
                since, last_pm_at = 0.0, t
                factor = float(rng.uniform(1.0, 1.3)) if rng.random() < 0.2 else float(rng.uniform(0.85, 1.0))

        # Failure modes: each renews at its own repair; the next failure is drawn from its Weibull life.
        events = []
        for code, _mode, *_rest, beta, eta in fail_modes:
            age0 = 0.0
            while True:
                at = age0 + _weibull(rng, beta, eta)
                if at > life0 + s.sum():
                    break
                events.append((at, code))
                age0 = at
        events.sort()
        for at, code in events:
            occurred, idx = when(at)
            fc = codes[code]
            sev = fc.default_severity
            if rng.random() < 0.15:
                sev = list(Severity)[min(3, list(Severity).index(sev) + 1)]
            downtime = round(float(rng.lognormal(np.log(DOWNTIME_H[sev]), 0.4)), 1)
            if idx >= 0:  # the mould stops while it is repaired
                s[idx + 1: idx + 1 + int(np.ceil(downtime))] = 0
            press_id = int(where[m.id][idx]) if idx >= 0 and where[m.id][idx] >= 0 else None
            tech_pool = techs[m.site_id] or [users["manager"]]
            reporter = tech_pool[int(rng.integers(len(tech_pool)))]
            report = FailureReport(
                site_id=m.site_id, mould_id=m.id, press_id=press_id, failure_code_id=fc.id, severity=sev,
                cavity=str(int(rng.integers(1, m.cavities + 1))) if m.cavities > 1 else "",
                occurred_at=occurred, shot_count=int(at), downtime_hours=Decimal(str(downtime)),
                repair_hours=Decimal(str(round(downtime * float(rng.uniform(0.5, 0.8)), 1))),
                description=f"{fc.mode} found on {m.code}" + (f", cavity {int(rng.integers(1, m.cavities + 1))}"
                                                               if m.cavities > 1 else "") + ".",
                reported_by_id=reporter.id,
            )
            db.session.add(report)
            part = PARTS.get(fc.mode)
            labour = Decimal(str(round(float(report.repair_hours), 1)))
            log = MaintenanceLog(
                site_id=m.site_id, mould_id=m.id, kind=MaintenanceKind.CORRECTIVE,
                performed_at=occurred + dt.timedelta(hours=float(report.repair_hours)), shot_count=int(at),
                labour_hours=labour, downtime_hours=report.downtime_hours, labour_cost=labour * LABOUR_RATE,
                work_done=f"Repaired: {fc.mode.lower()} at {fc.component.lower()}.", created_by_id=reporter.id,
                technicians=[reporter],
            )
            if part:
                qty = Decimal(int(rng.integers(1, 5)))
                log.parts = [PartUsed(site_id=m.site_id, part_number=part[0], description=part[1], quantity=qty,
                                      unit_cost=part[2])]
                log.parts_cost = qty * part[2]
            db.session.add(log)
            failure_count += 1
            if sev in (Severity.HIGH, Severity.CRITICAL) or rng.random() < 0.25:
                db.session.flush()
                due = (occurred + dt.timedelta(days=int(rng.integers(7, 30)))).date()
                closed = occurred < now - dt.timedelta(days=45) and rng.random() < 0.85
                owner = tech_pool[int(rng.integers(len(tech_pool)))] if rng.random() < 0.6 else \
                    managers[int(rng.integers(len(managers)))]
                status = ActionStatus.CLOSED if closed else (ActionStatus.IN_PROGRESS if rng.random() < 0.3
                                                             else ActionStatus.OPEN)
                db.session.add(ActionItem(
                    site_id=m.site_id, title=ACTION_TITLES[fc.mode].format(code=m.code),
                    description=f"Follow-up of failure report #{report.id} ({fc.code}).",
                    kind=ActionKind.CORRECTIVE if rng.random() < 0.7 else ActionKind.PREVENTIVE, status=status,
                    owner_id=owner.id, created_by_id=users["manager"].id, due_date=due, mould_id=m.id,
                    failure_report_id=report.id,
                    verification_note="Checked on the next run: no recurrence." if closed else "",
                    closed_at=occurred + dt.timedelta(days=int(rng.integers(3, 30))) if closed else None,
                    closed_by_id=users["manager"].id if closed else None, created_at=occurred,
                ))
                action_count += 1

        cum = np.cumsum(s)
        for i, labour_h in pm_hours:
            tech_pool = techs[m.site_id] or [users["manager"]]
            tech = tech_pool[int(rng.integers(len(tech_pool)))]
            labour = Decimal(str(labour_h))
            results = rng.choice([CheckResult.OK, CheckResult.ATTENTION, CheckResult.NOT_OK],
                                 size=len(template.items), p=[0.86, 0.11, 0.03])
            performed = start + i * HOUR
            pm_log = MaintenanceLog(
                site_id=m.site_id, mould_id=m.id, kind=MaintenanceKind.PREVENTIVE, performed_at=performed,
                shot_count=int(life0 + cum[i]), labour_hours=labour, downtime_hours=labour,
                labour_cost=labour * LABOUR_RATE, work_done="Preventive maintenance to checklist.",
                created_by_id=tech.id, technicians=[tech],
                checklist=[ChecklistResult(site_id=m.site_id, position=k, item=item.text, result=r,
                                           note="" if r == CheckResult.OK else "Follow up at next PM.")
                           for k, (item, r) in enumerate(zip(template.items, results, strict=False))],
            )
            db.session.add(pm_log)
            pm_count += 1
            bad = [item.text for item, r in zip(template.items, results, strict=False) if r == CheckResult.NOT_OK]
            if bad and performed > now - dt.timedelta(days=90):
                db.session.flush()
                done = performed < now - dt.timedelta(days=30) and rng.random() < 0.7
                db.session.add(ActionItem(
                    site_id=m.site_id, title=f"{bad[0]} on {m.code}: found not OK at PM",
                    description=f"From PM log #{pm_log.id}.", kind=ActionKind.PREVENTIVE,
                    status=ActionStatus.CLOSED if done else ActionStatus.OPEN, owner_id=tech.id,
                    created_by_id=tech.id, due_date=(performed + dt.timedelta(days=int(rng.integers(5, 40)))).date(),
                    mould_id=m.id, maintenance_log_id=pm_log.id,
                    verification_note="Done and checked." if done else "",
                    closed_at=performed + dt.timedelta(days=5) if done else None,
                    closed_by_id=tech.id if done else None, created_at=performed,
                ))
                action_count += 1
        last_pm_idx = pm_hours[-1][0] if pm_hours else -1
        if pm_hours:
            last_pm_at = start + last_pm_idx * HOUR
        m.lifetime_shots = int(life0 + s.sum())
        m.shots_since_pm = int(s[last_pm_idx + 1:].sum()) if last_pm_idx >= 0 else int(since0 + s.sum())
        m.last_pm_at = last_pm_at

        nz = np.nonzero(s)[0]
        for i in nz:
            hourly_rows.append({"site_id": m.site_id, "press_id": int(where[m.id][i]), "mould_id": m.id,
                                "bucket": start + int(i) * HOUR, "shots": int(s[i])})

    progress(f"Writing {len(hourly_rows):,} hourly shot rollups ...")
    for k in range(0, len(hourly_rows), 20_000):
        db.session.execute(insert(ShotsHourly), hourly_rows[k:k + 20_000])
    daily: dict[tuple, int] = {}
    for r in hourly_rows:
        key = (r["site_id"], r["press_id"], r["mould_id"], r["bucket"].date())
        daily[key] = daily.get(key, 0) + r["shots"]
    db.session.execute(insert(ShotsDaily), [{"site_id": k[0], "press_id": k[1], "mould_id": k[2], "day": k[3],
                                             "shots": v} for k, v in daily.items()])

    progress("Recording mould mounts ...")
    for mt in mounts:
        db.session.add(MouldMount(
            site_id=mt["site_id"], mould_id=mt["mould_id"], press_id=mt["press_id"],
            mounted_at=start + mt["start"] * HOUR,
            unmounted_at=None if mt["end"] is None else start + mt["end"] * HOUR, source="manual"))
        if mt["end"] is None:
            m = mould_by_id[mt["mould_id"]]
            m.current_press_id = mt["press_id"]
            m.status = MouldStatus.IN_PRODUCTION
    idle = [m for m in moulds if m.current_press_id is None]
    for m in idle[:3]:
        m.status = MouldStatus.WAITING_FOR_REPAIR
    if len(idle) > 4:
        idle[-1].status = MouldStatus.RETIRED

    ctx = DemoContext(rng, start, now, sites, presses, moulds, users, progress,
                      {"failures": failure_count, "pm": pm_count, "actions": action_count,
                       "hourly": len(hourly_rows)})
    db.session.flush()
    for name in sorted(i.name for i in pkgutil.iter_modules(data.__path__) if i.name.startswith("demo_")):
        progress(f"Adding {name[5:]} demo data ...")
        importlib.import_module(f"data.{name}").seed(ctx)
    db.session.commit()
    return (
        f"Demo data: {len(sites)} sites, {len(presses)} presses, {len(moulds)} moulds, "
        f"{failure_count} failures, {pm_count} PM logs, {action_count} action items, "
        f"{len(hourly_rows):,} hourly shot rows.\n"
        "Demo accounts (password 'demo'): admin, manager, engineer, technician (NTH), technician2 (STH)."
    )
