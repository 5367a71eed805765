"""All models, imported here so the metadata is complete for Alembic and the scope filter."""

from data.models.actions import ActionItem
from data.models.audit import AuditEntry, Job
from data.models.base import Base, SiteOwned, utcnow
from data.models.dashboards import SHOTS_DAILY_DAY, SHOTS_HOURLY_BUCKET  # noqa: F401 - rollup indexes
from data.models.enums import (
    ActionKind,
    ActionStatus,
    CheckResult,
    JobStatus,
    MaintenanceKind,
    MouldStatus,
    PhotoStatus,
    Role,
    Severity,
)
from data.models.equipment import Mould, MouldMount, Press
from data.models.failures import FailureCode, FailureReport
from data.models.ingest import IngestAgent, IngestCount, IngestRejection
from data.models.maintenance import (
    ChecklistResult,
    MaintenanceLog,
    PartUsed,
    PMTemplate,
    PMTemplateItem,
    maintenance_log_technicians,
)
from data.models.notifications import Channel, Notification, NotificationStatus, PMBandState
from data.models.ops import PeriodicRun, SelfCheckResult
from data.models.photos import Photo
from data.models.reports import Report
from data.models.sensors import Sensor, SensorAlert, SensorHourly, SensorReading, SensorState
from data.models.shots import CounterReading, CounterState, ShotsDaily, ShotsHourly
from data.models.sites_users import Membership, Site, User
from data.models.tokens import ServiceToken

__all__ = [
    "ActionItem", "ActionKind", "ActionStatus", "AuditEntry", "Base", "CheckResult", "ChecklistResult",
    "CounterReading", "FailureCode", "FailureReport", "Job", "JobStatus", "MaintenanceKind", "MaintenanceLog",
    "Membership", "Mould", "MouldMount", "MouldStatus", "PMTemplate", "PMTemplateItem", "PartUsed", "Photo",
    "PhotoStatus", "Press", "Role", "Sensor", "SensorAlert", "SensorHourly", "SensorReading", "ServiceToken",
    "Severity", "ShotsDaily", "ShotsHourly", "Site", "SiteOwned", "User",
    "maintenance_log_technicians", "utcnow",
    "CounterState", "IngestAgent", "IngestCount", "IngestRejection", "SensorState",
    "Channel", "Notification", "NotificationStatus", "PMBandState", "PeriodicRun", "Report",
    "SelfCheckResult",
]
