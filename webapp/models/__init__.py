"""All models, imported here so that Alembic and the app see every table."""

from webapp.models.amendments import AmendmentTask, OutboundEmail, SimsItem
from webapp.models.audit import AuditEntry
from webapp.models.intake import ApiToken, CycleRun, Upload
from webapp.models.org import LocalAuthority, School
from webapp.models.pupils import AttendanceYear, Exclusion, ImportBatch, PupilRecord
from webapp.models.reports import Difference, Notification, Report, ReportSubmission
from webapp.models.returns import ReturnFile
from webapp.models.users import PasswordReset, User

__all__ = [
    "ApiToken",
    "CycleRun",
    "Upload",
    "AmendmentTask",
    "OutboundEmail",
    "SimsItem",
    "AttendanceYear",
    "AuditEntry",
    "Difference",
    "Exclusion",
    "ImportBatch",
    "LocalAuthority",
    "Notification",
    "PasswordReset",
    "PupilRecord",
    "Report",
    "ReportSubmission",
    "ReturnFile",
    "School",
    "User",
]
