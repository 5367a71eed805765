"""Bulk import of moulds from CSV or XLSX: a preview with an error per bad row, then all or only valid rows.

Nothing is written while any row is bad, unless the user chooses to import only the valid rows;
either way the import is one transaction.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from data import authz
from data.db import db
from data.models import Mould, Site
from data.moulds import mould_values
from data.scope import system_scope
from data.validation import Fields

EDIT = "edit_master"
MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024
# Column headings people use, normalised (lower case, no punctuation) -> field name.
COLUMNS = {
    "site": "site_id", "sitecode": "site_id", "plant": "site_id",
    "code": "code", "mouldcode": "code", "toolcode": "code", "mould": "code", "tool": "code",
    "name": "name", "mouldname": "name", "description": "name",
    "family": "family", "mouldfamily": "family",
    "partnumbers": "part_numbers", "partnumber": "part_numbers", "partno": "part_numbers",
    "customer": "customer", "cavities": "cavities", "cavity": "cavities", "numberofcavities": "cavities",
    "blockedcavities": "blocked_cavities", "status": "status", "homelocation": "home_location",
    "location": "home_location", "steel": "steel", "material": "steel", "maker": "maker", "toolmaker": "maker",
    "designlifeshots": "design_life_shots", "designlife": "design_life_shots",
    "pmintervalshots": "pm_interval_shots", "pmshots": "pm_interval_shots",
    "pmintervaldays": "pm_interval_days", "pmdays": "pm_interval_days",
    "pmwarningpct": "pm_warning_pct", "warningpct": "pm_warning_pct",
    "lifetimeshots": "lifetime_shots", "shotssincepm": "shots_since_pm", "notes": "notes",
}
TEMPLATE_HEADER = ["site", "code", "name", "family", "part_numbers", "customer", "cavities", "blocked_cavities",
                   "status", "home_location", "steel", "maker", "design_life_shots", "pm_interval_shots",
                   "pm_interval_days", "pm_warning_pct", "lifetime_shots", "shots_since_pm", "notes"]


class ImportFileError(ValueError):
    """The file cannot be read as a table of moulds; the message says why."""


@dataclass
class RowCheck:
    """One data row of the file: its line number, what it says, and what is wrong with it."""

    line: int
    raw: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True if the row can be imported."""
        return not self.errors


def _norm(heading: Any) -> str:
    return re.sub(r"[^a-z0-9]", "", str(heading or "").lower())


def read_table(filename: str, content: bytes) -> list[tuple[int, dict[str, Any]]]:
    """Rows of a CSV or XLSX file as (line number, {field: value}), mapped by their headings."""
    if len(content) > MAX_BYTES:
        raise ImportFileError(f"The file is {len(content) / 1048576:.1f} MB; the limit is {MAX_BYTES // 1048576} MB.")
    name = (filename or "").lower()
    if name.endswith(".xlsx") or content[:4] == b"PK\x03\x04":
        rows = _xlsx_rows(content)
    elif name.endswith((".csv", ".txt")) or not name:
        rows = _csv_rows(content)
    else:
        raise ImportFileError("Upload a .csv or .xlsx file.")
    rows = [(i, r) for i, r in rows if any(str(v).strip() for v in r if v is not None)]
    if not rows:
        raise ImportFileError("The file is empty.")
    (_, header), body = rows[0], rows[1:]
    mapping = {}
    for col, heading in enumerate(header):
        key = COLUMNS.get(_norm(heading))
        if key and key not in mapping.values():
            mapping[col] = key
    missing = [c for c in ("site_id", "code", "name", "cavities") if c not in mapping.values()]
    if missing:
        names = {"site_id": "site", "code": "code", "name": "name", "cavities": "cavities"}
        raise ImportFileError("The first row must name the columns; missing: "
                              f"{', '.join(names[m] for m in missing)}. Download the template to see them all.")
    if len(body) > MAX_ROWS:
        raise ImportFileError(f"The file has {len(body):,} rows; import at most {MAX_ROWS:,} at a time.")
    out = []
    for line, values in body:
        record = {}
        for col, key in mapping.items():
            v = values[col] if col < len(values) else None
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            record[key] = "" if v is None else v
        out.append((line, record))
    return out


def _csv_rows(content: bytes) -> list[tuple[int, list[Any]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [(i, row) for i, row in enumerate(csv.reader(io.StringIO(text), dialect), start=1)]


def _xlsx_rows(content: bytes) -> list[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise ImportFileError(f"The file could not be read as an Excel workbook ({type(exc).__name__}).") from None
    try:
        sheet = wb.worksheets[0]
        return [(i, list(row)) for i, row in enumerate(sheet.iter_rows(values_only=True), start=1)
                if i <= MAX_ROWS + 50]
    finally:
        wb.close()


def check_rows(user: Any, filename: str, content: bytes) -> list[RowCheck]:
    """Read the file and validate every row (as the mould form would), plus duplicate codes."""
    authz.require(user, EDIT)
    rows = read_table(filename, content)
    sites = {s.code.lower(): s for s in db.session.scalars(select(Site)) if authz.can(user, EDIT, s.id)}
    with system_scope():
        taken = {c.lower() for c in db.session.scalars(select(Mould.code))}
    seen: dict[str, int] = {}
    checks = []
    for line, raw in rows:
        f = Fields({**raw, "site_id": str(raw.get("site_id", "")).strip().lower()})
        values = mould_values(f, sites, creating=True)
        code = (values.get("code") or "").lower()
        if code and code in taken:
            f.error("code", f"A mould with code {values['code']} already exists.")
        elif code and code in seen:
            f.error("code", f"Code {values['code']} is also on line {seen[code]}.")
        if code:
            seen.setdefault(code, line)
        if f.errors.get("site_id"):
            f.errors["site_id"] = f"Site {raw.get('site_id')!r} is unknown or not one of yours."
        checks.append(RowCheck(line, raw, values, dict(f.errors)))
    return checks


def import_rows(user: Any, filename: str, content: bytes, only_valid: bool = False) -> tuple[int, int]:
    """Import the file's moulds in one transaction; returns (imported, skipped).

    Raises ImportFileError if any row is bad and only_valid is False (nothing is written then).
    """
    checks = check_rows(user, filename, content)
    bad = [c for c in checks if not c.ok]
    if bad and not only_valid:
        raise ImportFileError(f"{len(bad)} of {len(checks)} rows have errors; fix them, or import only the valid rows.")
    good = [c for c in checks if c.ok]
    for c in good:
        db.session.add(Mould(**c.values))
    db.session.commit()
    return len(good), len(bad)


def template_csv() -> str:
    """A CSV with the column headings and one example row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(TEMPLATE_HEADER)
    example_site = db.session.scalar(select(Site.code).order_by(Site.code).limit(1)) or "NTH"
    writer.writerow([example_site, "T-900", "Housing 900", "housings", "PN-12345", "Acme", 4, "", "in_tool_room",
                     "Rack A1", "1.2343", "Precise Tooling", 3000000, 120000, 90, 85, 0, 0, ""])
    return out.getvalue()

