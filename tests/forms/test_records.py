"""Validation and saving of the technician forms: maintenance logs, failure reports, action items."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from data import events
from data.actions import create_action, list_actions, update_action
from data.db import db
from data.failures import catalogue_tree, record_report
from data.maintenance import form_reference, record_log
from data.models import (
    ActionItem,
    ActionStatus,
    AuditEntry,
    CounterReading,
    FailureReport,
    MaintenanceLog,
    Mould,
    PMTemplate,
    PMTemplateItem,
    utcnow,
)
from data.scope import system_scope
from data.validation import FieldErrors

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


def log_raw(mould_id, **extra):
    raw = {"mould_id": mould_id, "kind": "corrective", "performed_at": "2026-11-27T10:00:00Z",
           "work_done": "Replaced O-rings", "labour_hours": "1,5", "downtime_hours": "2", "shot_count": "500000"}
    return raw | extra


def errors_of(fn, *args, **kwargs) -> dict:
    with pytest.raises(FieldErrors) as exc:
        fn(*args, **kwargs)
    return exc.value.errors


def count(model) -> int:
    with system_scope():
        return db.session.scalar(select(func.count()).select_from(model))


# --- maintenance log ---------------------------------------------------------------------------------

def test_log_is_saved_with_parts_technicians_and_audit(act, world):
    seen = []
    events.subscribe(events.MAINTENANCE_LOGGED, lambda **p: seen.append(p))
    with act("technician") as user:
        log, created = record_log(user, log_raw(world["moulds"]["S1"], parts=[
            {"part_number": "OR-2x30", "description": "O-ring", "quantity": "4", "unit_cost": "1.80"},
            {"part_number": "", "description": "", "quantity": "", "unit_cost": ""}]), now=NOW)
        assert created and log.labour_hours == Decimal("1.50") and log.parts_cost == Decimal("7.20")
        assert [p.part_number for p in log.parts] == ["OR-2x30"]
        assert [t.username for t in log.technicians] == ["technician"]
        with system_scope():
            assert db.session.scalar(select(func.count()).where(AuditEntry.table_name == "maintenance_logs")) == 1
    assert seen and seen[-1]["log_id"] == log.id and seen[-1]["kind"] == "corrective"


@pytest.mark.parametrize("field, value, message", [
    ("performed_at", "2099-01-01T10:00:00Z", "in the future"),
    ("performed_at", "yesterday", "date and time"),
    ("kind", "", "Choose the kind"),
    ("kind", "cosmetic", "must be one of"),
    ("labour_hours", "-1", "at least 0"),
    ("labour_hours", "lots", "must be a number"),
    ("shot_count", "12.5", "whole number"),
    ("shot_count", "abc", "whole number"),
    ("work_done", "", "Work done is required"),
    ("mould_id", "", "Choose the mould"),
    ("mould_id", 99999, "There is no mould"),
])
def test_log_field_errors(act, world, field, value, message):
    with act("technician") as user:
        errors = errors_of(record_log, user, log_raw(world["moulds"]["S1"]) | {field: value}, now=NOW)
    assert message in errors[field]
    with act("admin"):
        assert count(MaintenanceLog) == 0


def test_log_shot_count_below_last_recorded_names_both_numbers_and_the_mould(act, world):
    with act("technician") as user:
        errors = errors_of(record_log, user, log_raw(world["moulds"]["S1"], shot_count="12000"), now=NOW)
    assert errors["shot_count"] == "Shot count 12,000 is below the last recorded 500,000 for T-1."


def test_backdated_log_compares_with_the_counter_at_that_time(act, world):
    mould_id = world["moulds"]["S1"]
    with act("admin"):
        db.session.add(CounterReading(site_id=world["sites"]["S1"], press_id=world["presses"]["S1"], counter="x",
                                      ts=NOW - dt.timedelta(hours=1), value=1, mould_id=mould_id, shots=3000))
        db.session.commit()
    with act("technician") as user:  # two hours ago the counter stood 3,000 lower than now
        log, _ = record_log(user, log_raw(mould_id, performed_at="2026-11-27T10:00:00Z", shot_count="497000"),
                            now=NOW)
        assert log.shot_count == 497_000


def test_mould_of_another_site_is_refused_with_a_clear_message(act, world):
    with act("technician") as user:
        errors = errors_of(record_log, user, log_raw(world["moulds"]["S2"]), now=NOW)
    assert "belongs to a site you do not have access to" in errors["mould_id"]
    with act("admin"):
        assert count(MaintenanceLog) == 0


def test_preventive_log_resets_shots_since_pm_and_checks_the_checklist(act, world):
    mould_id = world["moulds"]["S1"]
    with act("admin"):
        db.session.add(PMTemplate(family="housings", name="PM", items=[PMTemplateItem(position=0, text="Vents"),
                                                                       PMTemplateItem(position=1, text="Pins")]))
        db.session.add(CounterReading(site_id=world["sites"]["S1"], press_id=world["presses"]["S1"], counter="x",
                                      ts=NOW - dt.timedelta(minutes=30), value=1, mould_id=mould_id, shots=1200))
        db.session.commit()
    with act("technician") as user:
        ref = form_reference()
        assert ref["checklists"]["housings"] == ["Vents", "Pins"]
        raw = log_raw(mould_id, kind="preventive", work_done="", checklist=[
            {"item": "Vents", "result": "ok"}, {"item": "Pins", "result": None}])
        errors = errors_of(record_log, user, raw, now=NOW)
        assert "1 still open" in errors["checklist"] and "checklist.1" in errors
        raw["checklist"][1] = {"item": "Pins", "result": "not_ok", "note": ""}
        assert "note is needed" in errors_of(record_log, user, raw, now=NOW)["checklist.1"]
        raw["checklist"][1]["note"] = "Two pins bent"
        log, _ = record_log(user, raw, now=NOW)
        assert [c.result.value for c in log.checklist] == ["ok", "not_ok"]
    with act("admin"):
        mould = db.session.get(Mould, mould_id)
        assert mould.last_pm_at == NOW - dt.timedelta(hours=2)
        assert mould.shots_since_pm == 1200  # the reading after the PM, not the 95,000 before


def test_log_is_idempotent_by_client_key(act, world):
    with act("technician") as user:
        raw = log_raw(world["moulds"]["S1"], client_key="key-0001-aaaa")
        first, created = record_log(user, raw, now=NOW)
        again, created_again = record_log(user, raw | {"shot_count": "1"}, now=NOW)  # even if now invalid
        assert created and not created_again and again.id == first.id
        assert count(MaintenanceLog) == 1


def test_technicians_must_work_at_the_moulds_site(act, world):
    with act("manager") as user:
        errors = errors_of(record_log, user, log_raw(world["moulds"]["S1"],
                                                     technician_ids=[world["users"]["technician2"]]), now=NOW)
    assert "work at the mould's site" in errors["technician_ids"]


def test_part_rows_get_their_own_messages(act, world):
    with act("technician") as user:
        errors = errors_of(record_log, user, log_raw(world["moulds"]["S1"], parts=[
            {"part_number": "X", "quantity": "0"}, {"description": "", "quantity": "2", "part_number": ""}]), now=NOW)
    assert "at least 0.01" in errors["parts.0.quantity"]
    assert "part number or a description" in errors["parts.1.part_number"]


# --- failure report ----------------------------------------------------------------------------------

def report_raw(mould_id, code_id, **extra):
    raw = {"mould_id": mould_id, "failure_code_id": code_id, "occurred_at": "2026-11-27T11:00:00+01:00",
           "description": "Water on the fixed half", "downtime_hours": "3", "shot_count": "500100"}
    return raw | extra


def test_report_takes_severity_from_the_code_and_publishes(act, world, code_id):
    seen = []
    events.subscribe(events.FAILURE_REPORTED, lambda **p: seen.append(p))
    with act("technician") as user:
        assert catalogue_tree()[0]["severity"] == "high"
        report, created = record_report(user, report_raw(world["moulds"]["S1"], code_id), now=NOW)
    assert created and report.severity.value == "high" and report.occurred_at == NOW - dt.timedelta(hours=2)
    assert seen[-1] == {"report_id": report.id, "site_id": world["sites"]["S1"], "severity": "high"}


def test_report_with_inline_action_creates_both_in_one_go(act, world, code_id):
    changed = []
    events.subscribe(events.ACTION_CHANGED, lambda **p: changed.append(p))
    with act("technician") as user:
        raw = report_raw(world["moulds"]["S1"], code_id, add_action=True, action_title="Replace O-rings",
                         action_due_date="2026-12-01", client_key="rep-key-0001")
        report, _ = record_report(user, raw, now=NOW)
        action = db.session.scalar(select(ActionItem))
    assert action.failure_report_id == report.id and action.mould_id == world["moulds"]["S1"]
    assert action.client_key == "rep-key-0001:a" and changed[-1]["action_id"] == action.id


@pytest.mark.parametrize("extra, field, message", [
    ({"failure_code_id": None}, "failure_code_id", "Pick the failure"),
    ({"description": " "}, "description", "Description is required"),
    ({"cavity": "3"}, "cavity", "there is no cavity 3"),
    ({"severity": "apocalyptic"}, "severity", "must be one of"),
    ({"occurred_at": "2030-01-01T00:00:00Z"}, "occurred_at", "in the future"),
    ({"shot_count": "100"}, "shot_count", "below the last recorded 500,000 for T-1"),
    ({"add_action": True, "action_title": ""}, "action_title", "Title is required"),
    ({"add_action": True, "action_title": "x", "action_due_date": "2020-01-01"}, "action_due_date", "in the past"),
])
def test_report_field_errors_write_nothing(act, world, code_id, extra, field, message):
    with act("technician") as user:
        errors = errors_of(record_report, user, report_raw(world["moulds"]["S1"], code_id) | extra, now=NOW)
    assert message in errors[field]
    with act("admin"):
        assert count(FailureReport) == 0 and count(ActionItem) == 0


def test_blocked_cavity_is_refused(act, world, code_id):
    with act("admin"):
        mould = db.session.get(Mould, world["moulds"]["S1"])
        mould.cavities, mould.blocked_cavities = 4, "2"
        db.session.commit()
    with act("technician") as user:
        errors = errors_of(record_report, user, report_raw(world["moulds"]["S1"], code_id, cavity="2"), now=NOW)
    assert errors["cavity"] == "Cavity 2 is blocked off on T-1."


def test_technician_cannot_give_an_inline_action_to_someone_else(act, world, code_id):
    with act("technician") as user:
        raw = report_raw(world["moulds"]["S1"], code_id, add_action=True, action_title="Fix",
                         action_owner_id=world["users"]["manager"])
        assert "Only managers" in errors_of(record_report, user, raw, now=NOW)["action_owner_id"]


# --- action items ------------------------------------------------------------------------------------

def test_action_lifecycle_start_close_with_note(act, world):
    with act("technician") as user:
        action, _ = create_action(user, {"mould_id": world["moulds"]["S1"], "title": "Polish slide",
                                         "due_date": "2026-12-10"}, today=NOW.date())
        assert action.owner_id is None
        update_action(user, action.id, {"status": "in_progress"}, now=NOW)
        assert action.owner_id == user.id  # starting an unassigned action takes it
        errors = errors_of(update_action, user, action.id, {"status": "closed", "verification_note": ""}, now=NOW)
        assert "verified" in errors["verification_note"]
        update_action(user, action.id, {"status": "closed", "verification_note": "Ran 500 shots, OK"}, now=NOW)
        assert action.status is ActionStatus.CLOSED and action.closed_by_id == user.id
        assert "Only managers can reopen" in errors_of(update_action, user, action.id, {"status": "open"}, now=NOW)[
            "status"]
        mine = list_actions(user, mine=True, status="closed")
        assert mine.total == 1 and mine.rows[0][0].id == action.id


def test_assigning_needs_a_manager_and_a_member_of_the_site(act, world):
    with act("manager") as manager:
        action, _ = create_action(manager, {"mould_id": world["moulds"]["S1"], "title": "Check cooling",
                                            "owner_id": world["users"]["technician"]}, today=NOW.date())
        errors = errors_of(update_action, manager, action.id, {"owner_id": world["users"]["technician2"]}, now=NOW)
        assert "active user of the mould's site" in errors["owner_id"]
        action_id = action.id
    with act("technician2") as other:
        assert list_actions(other).total == 0  # another site's action is invisible
        assert "does not exist" in errors_of(update_action, other, action_id, {"status": "closed"}, now=NOW)["action"]


def test_overdue_filter_and_sorting(act, world):
    with act("manager") as manager:
        today = utcnow().date()
        for title, due in (("B late", today - dt.timedelta(days=3)), ("A soon", today + dt.timedelta(days=3))):
            db.session.add(ActionItem(site_id=world["sites"]["S1"], title=title, due_date=due,
                                      created_at=utcnow()))
        db.session.commit()
        overdue = list_actions(manager, status="overdue")
        assert [r[0].title for r in overdue.rows] == ["B late"]
        by_title = list_actions(manager, status="active", sort="title")
        assert [r[0].title for r in by_title.rows] == ["A soon", "B late"]
        assert [r[0].title for r in list_actions(manager, sort="-title").rows] == ["B late", "A soon"]
