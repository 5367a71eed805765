"""Master data: validation of each form (moulds, presses, mounting, catalogue, PM templates, users, sites),
deletes that would lose history are refused, and the mould import previews before it writes."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from data.admin_users import delete_site, delete_user, save_site, save_user
from data.catalogue import delete_code, save_code
from data.db import db
from data.models import FailureReport, MaintenanceKind, MaintenanceLog, Mould, MouldMount, MouldStatus, utcnow
from data.mould_import import ImportFileError, check_rows, import_rows
from data.moulds import delete_mould, list_moulds, save_mould
from data.pm_templates import save_template
from data.presses import delete_press, mount, save_press, unmount
from data.validation import DeleteRefused, FieldErrors


def errors_of(fn, *args) -> dict:
    with pytest.raises(FieldErrors) as exc:
        fn(*args)
    return exc.value.errors


def mould_raw(world, **extra):
    return {"site_id": world["sites"]["S1"], "code": "T-50", "name": "New housing", "cavities": "4",
            "status": "in_tool_room", "pm_interval_shots": "120,000"} | extra


@pytest.mark.parametrize("extra, field, message", [
    ({"code": ""}, "code", "Code is required"),
    ({"code": "t-1"}, "code", "already exists"),
    ({"cavities": "0"}, "cavities", "at least 1"),
    ({"blocked_cavities": "2, 9"}, "blocked_cavities", "between 1 and 4"),
    ({"blocked_cavities": "1,2,3,4"}, "blocked_cavities", "must stay open"),
    ({"pm_interval_shots": "-5"}, "pm_interval_shots", "at least 1"),
    ({"pm_warning_pct": "100"}, "pm_warning_pct", "at most 99"),
    ({"status": "lost"}, "status", "must be one of"),
    ({"shots_since_pm": "10", "lifetime_shots": "5"}, "shots_since_pm", "cannot be more"),
])
def test_mould_form_validation(act, world, extra, field, message):
    with act("manager") as user:
        assert message in errors_of(save_mould, user, None, mould_raw(world, **extra))[field]


def test_mould_of_another_site_cannot_be_created_by_a_manager_of_one_site(act, world):
    with act("manager") as manager:  # the manager has both sites: create, then edit, then list sorted
        mould = save_mould(manager, None, mould_raw(world, blocked_cavities="3;1"))
        assert mould.blocked_cavities == "1, 3" and mould.pm_interval_shots == 120_000
        save_mould(manager, mould.id, mould_raw(world, name="Renamed"))
        page = list_moulds(sort="-code")
        assert [r[0].code for r in page.rows] == ["T-50", "T-2", "T-1"] and page.total == 3
    with act("technician2") as tech:
        with pytest.raises(Exception, match="may not"):
            save_mould(tech, None, mould_raw(world, site_id=world["sites"]["S2"]))


def test_mould_with_history_cannot_be_deleted(act, world):
    with act("manager") as user:
        db.session.add(MaintenanceLog(site_id=world["sites"]["S1"], mould_id=world["moulds"]["S1"],
                                      kind=MaintenanceKind.CORRECTIVE, performed_at=utcnow()))
        db.session.commit()
        with pytest.raises(DeleteRefused, match="Retired instead"):
            delete_mould(user, world["moulds"]["S1"])
        assert delete_mould(user, world["moulds"]["S2"]) == "T-2"


def test_press_validation_and_delete(act, world):
    with act("manager") as user:
        errors = errors_of(save_press, user, None, {"site_id": world["sites"]["S1"], "code": "s1-p01",
                                                    "opcua_endpoint": "http://x", "tonnage": "abc"})
        assert "already exists" in errors["code"] and "opc.tcp://" in errors["opcua_endpoint"]
        assert "whole number" in errors["tonnage"]
        press = save_press(user, None, {"site_id": world["sites"]["S1"], "code": "S1-P02", "tonnage": "250",
                                        "active": True})
        assert delete_press(user, press.id) == "S1-P02"


def test_mount_and_unmount(act, world):
    mould_id, press_id = world["moulds"]["S1"], world["presses"]["S1"]
    with act("manager") as user:
        errors = errors_of(mount, user, {"mould_id": mould_id, "press_id": world["presses"]["S2"],
                                         "mounted_at": "2026-01-01T08:00:00Z"})
        assert "another site" in errors["press_id"]
        mount(user, {"mould_id": mould_id, "press_id": press_id, "mounted_at": "2026-01-01T08:00:00Z"})
        mould = db.session.get(Mould, mould_id)
        assert mould.current_press_id == press_id and mould.status is MouldStatus.IN_PRODUCTION
        errors = errors_of(unmount, user, {"mould_id": mould_id, "unmounted_at": "2025-12-31T08:00:00Z"})
        assert "Must be after 2026-01-01 08:00" in errors["unmounted_at"]
        unmount(user, {"mould_id": mould_id, "unmounted_at": "2026-01-02T08:00:00Z"})
        assert mould.current_press_id is None and mould.status is MouldStatus.IN_TOOL_ROOM
        assert db.session.scalar(select(MouldMount.unmounted_at)).isoformat().startswith("2026-01-02T08:00")
        with pytest.raises(DeleteRefused, match="mounting records"):
            delete_press(user, press_id)


def test_failure_code_validation_and_delete_refused_when_used(act, world, code_id):
    with act("admin") as admin:
        errors = errors_of(save_code, admin, None, {"code": "wl-co-cc", "mode": "Water leak", "mechanism": "Corrosion",
                                                    "cause": "Maintenance", "component": "Cooling circuit",
                                                    "default_severity": "extreme"})
        assert "already in the catalogue" in errors["code"] and "must be one of" in errors["default_severity"]
        db.session.add(FailureReport(site_id=world["sites"]["S2"], mould_id=world["moulds"]["S2"],
                                     failure_code_id=code_id, severity="high", occurred_at=utcnow()))
        db.session.commit()
        with pytest.raises(DeleteRefused, match="deactivate it instead"):
            delete_code(admin, code_id)
    with act("manager") as manager:
        with pytest.raises(Exception, match="may not"):
            save_code(manager, code_id, {"code": "X"})


def test_pm_template_items_one_per_line(act, world):
    with act("admin") as admin:
        assert "at least one" in errors_of(save_template, admin, None, {"family": "housings", "name": "PM",
                                                                        "items": "\n \n"})["items"]
        assert "listed twice" in errors_of(save_template, admin, None, {"family": "housings", "name": "PM",
                                                                        "items": "Vents\nVents"})["items"]
        t = save_template(admin, None, {"family": "housings", "name": "PM", "items": "- Vents\n* Pins\n\nCooling"})
        assert [i.text for i in t.items] == ["Vents", "Pins", "Cooling"]


def test_users_and_sites_rules(act, world):
    with act("admin") as admin:
        errors = errors_of(save_user, admin, None, {"username": "Bad Name", "role": "technician", "password": "short",
                                                    "email": "nope"})
        assert "lower-case" in errors["username"] and "too short" in errors["password"]
        assert "e-mail" in errors["email"] and "at least one site" in errors["site_ids"]
        user = save_user(admin, None, {"username": "new.tech", "role": "technician", "password": "Glove-Tablet-77",
                                       "site_ids": [world["sites"]["S1"]], "is_active": True})
        assert user.site_ids == {world["sites"]["S1"]}
        assert "your own admin role" in errors_of(save_user, admin, world["users"]["admin"],
                                                {"role": "manager", "site_ids": [world["sites"]["S1"]]})["role"]
        assert delete_user(admin, user.id) == "new.tech"
        assert "time zone" in errors_of(save_site, admin, None, {"code": "S3", "name": "Three",
                                                                 "timezone": "Mars/Olympus"})["timezone"]
        with pytest.raises(DeleteRefused, match="still has"):
            delete_site(admin, world["sites"]["S1"])


def test_import_previews_errors_per_row_and_writes_nothing_until_told(act, world):
    csv_text = ("site;code;name;cavities;pm interval shots\n"
                "S1;T-70;Good one;2;100000\n"
                "S9;T-71;Unknown site;2;\n"
                "S1;T-1;Duplicate of existing;2;\n"
                "S1;T-72;Bad cavities;zero;\n"
                "S1;T-70;Twice in the file;1;\n")
    content = csv_text.encode()
    with act("manager") as user:
        checks = check_rows(user, "moulds.csv", content)
        assert [c.ok for c in checks] == [True, False, False, False, False]
        assert "unknown or not one of yours" in checks[1].errors["site_id"]
        assert "already exists" in checks[2].errors["code"] and "whole number" in checks[3].errors["cavities"]
        assert "also on line 2" in checks[4].errors["code"]
        with pytest.raises(ImportFileError, match="4 of 5 rows have errors"):
            import_rows(user, "moulds.csv", content)
        assert db.session.scalar(select(func.count()).select_from(Mould)) == 2
        assert import_rows(user, "moulds.csv", content, only_valid=True) == (1, 4)
        assert db.session.scalar(select(Mould.pm_interval_shots).where(Mould.code == "T-70")) == 100_000


def test_import_reads_xlsx_and_rejects_files_without_the_needed_columns(act, world):
    wb = Workbook()
    ws = wb.active
    ws.append(["Site", "Mould code", "Name", "Cavities", "Customer"])
    ws.append(["S2", "T-80", "From Excel", 8, "Acme"])
    out = io.BytesIO()
    wb.save(out)
    with act("manager") as user:
        assert import_rows(user, "moulds.xlsx", out.getvalue()) == (1, 0)
        assert db.session.scalar(select(Mould.customer).where(Mould.code == "T-80")) == "Acme"
        with pytest.raises(ImportFileError, match="missing: site, cavities"):
            check_rows(user, "x.csv", b"code,name\nT-1,x\n")
        with pytest.raises(ImportFileError, match="Excel workbook"):
            check_rows(user, "x.xlsx", b"PK\x03\x04 broken")
    with act("technician2") as tech:
        with pytest.raises(Exception, match="may not"):
            check_rows(tech, "moulds.xlsx", out.getvalue())
