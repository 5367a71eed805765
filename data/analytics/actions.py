"""Action items for the board: open and overdue actions by owner and by age."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import select

from data.analytics.common import frame, mould_filter, site_filter
from data.db import db
from data.models import ActionItem, ActionStatus, Mould, Site, User

AGE_BUCKETS = [(0, 7, "0–7 days"), (8, 30, "8–30 days"), (31, 90, "31–90 days"), (91, None, "over 90 days")]
UNASSIGNED = "(unassigned)"
ACTION_COLUMNS = ["id", "title", "site", "mould", "owner", "status", "kind", "due_date", "created_at", "age_days",
                  "days_overdue", "overdue", "age_bucket", "failure_report_id", "maintenance_log_id"]


def age_bucket(days: int) -> str:
    """The label of the age bucket a number of days falls in."""
    for low, high, label in AGE_BUCKETS:
        if days >= low and (high is None or days <= high):
            return label
    return AGE_BUCKETS[0][2]


def actions_frame(today: dt.date, site_ids: frozenset[int] | None = None, family: str | None = None,
                  include_closed: bool = False, mould_id: int | None = None) -> pd.DataFrame:
    """Action items (open ones unless include_closed) with owner, age in days, days overdue and age bucket."""
    stmt = (
        select(ActionItem.id, ActionItem.title, Site.code, Mould.code, User.display_name, User.username,
               ActionItem.status, ActionItem.kind, ActionItem.due_date, ActionItem.created_at,
               ActionItem.failure_report_id, ActionItem.maintenance_log_id)
        .join(Site, Site.id == ActionItem.site_id)
        .outerjoin(Mould, Mould.id == ActionItem.mould_id)
        .outerjoin(User, User.id == ActionItem.owner_id)
        .order_by(ActionItem.due_date.is_(None), ActionItem.due_date, ActionItem.id)
    )
    stmt = mould_filter(site_filter(stmt, ActionItem.site_id, site_ids), ActionItem.mould_id, family)
    if not include_closed:
        stmt = stmt.where(ActionItem.status != ActionStatus.CLOSED)
    if mould_id is not None:
        stmt = stmt.where(ActionItem.mould_id == mould_id)
    cols = ["id", "title", "site", "mould", "display_name", "username", "status", "kind", "due_date", "created_at",
            "failure_report_id", "maintenance_log_id"]
    df = frame(db.session.execute(stmt).all(), cols)
    df["owner"] = df["display_name"].where(df["display_name"].fillna("") != "", df["username"]).fillna(UNASSIGNED)
    df["status"] = df["status"].map(lambda s: getattr(s, "value", s))
    df["kind"] = df["kind"].map(lambda s: getattr(s, "value", s))
    created = pd.to_datetime(df["created_at"], utc=True).dt.date
    df["age_days"] = [(today - c).days if c is not None and c == c else 0 for c in created]
    due = df["due_date"]
    df["days_overdue"] = [(today - d).days if d is not None and d == d and d < today else 0 for d in due]
    df["overdue"] = (df["days_overdue"] > 0) & (df["status"] != ActionStatus.CLOSED.value)
    df["age_bucket"] = df["age_days"].map(age_bucket)
    return df[ACTION_COLUMNS]


def actions_by_owner(actions: pd.DataFrame) -> pd.DataFrame:
    """Per owner: open, in progress, overdue and total open actions, most overdue first."""
    cols = ["owner", "open", "in_progress", "overdue", "total", "oldest_days"]
    live = actions[actions["status"] != ActionStatus.CLOSED.value]
    if live.empty:
        return pd.DataFrame(columns=cols)
    g = live.groupby("owner").agg(
        open=("status", lambda s: int((s == ActionStatus.OPEN.value).sum())),
        in_progress=("status", lambda s: int((s == ActionStatus.IN_PROGRESS.value).sum())),
        overdue=("overdue", "sum"), total=("id", "count"), oldest_days=("age_days", "max"))
    g["overdue"] = g["overdue"].astype("int64")
    return g.reset_index().sort_values(["overdue", "total"], ascending=False).reset_index(drop=True)[cols]


def actions_by_age(actions: pd.DataFrame) -> pd.DataFrame:
    """Open actions per age bucket, split into overdue and not overdue (every bucket present)."""
    labels = [b[2] for b in AGE_BUCKETS]
    live = actions[actions["status"] != ActionStatus.CLOSED.value]
    over = live[live["overdue"]].groupby("age_bucket")["id"].count().reindex(labels, fill_value=0)
    ok = live[~live["overdue"]].groupby("age_bucket")["id"].count().reindex(labels, fill_value=0)
    return pd.DataFrame({"age_bucket": labels, "on_track": ok.to_numpy(np.int64), "overdue": over.to_numpy(np.int64)})
