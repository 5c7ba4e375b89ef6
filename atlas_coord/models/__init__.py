"""All models, imported here so that Alembic and ``Base.metadata`` see every table."""

from .accounts import ApiToken, RoleGrant, User, UserSession
from .airlift import AirliftAsset
from .alerts import Alert, AlertCursor, AlertDelivery, MailboxMessage
from .audit import AuditRecord, Event
from .base import Base, utcnow
from .directory import Authority, Capability, ReadinessChange, State, Unit, UnitCapability, UnitStation
from .duty import DutyContact, DutyOrg, DutyShift
from .mfa import RecoveryCode, TotpFactor, WebAuthnChallenge, WebAuthnCredential
from .requests import (
    Arrangement,
    AssistanceRequest,
    CostItem,
    Crisis,
    Deployment,
    OfferedUnit,
    RequestAddressee,
    RequestRequirement,
)
from .trainings import (
    CalendarFeedToken,
    Training,
    TrainingAttendance,
    TrainingOccurrenceOverride,
    TrainingParticipant,
    TrainingReminder,
    TrainingRun,
)

__all__ = [
    "Alert", "AlertCursor", "AlertDelivery", "MailboxMessage", "DutyContact", "DutyOrg", "DutyShift",
    "AirliftAsset",
    "Arrangement",
    "AssistanceRequest",
    "CostItem",
    "Crisis",
    "Deployment",
    "OfferedUnit",
    "RequestAddressee",
    "RequestRequirement",
    "ApiToken",
    "AuditRecord",
    "Authority",
    "Base",
    "Capability",
    "Event",
    "ReadinessChange",
    "RecoveryCode",
    "RoleGrant",
    "State",
    "TotpFactor",
    "WebAuthnChallenge",
    "WebAuthnCredential",
    "Unit",
    "UnitCapability",
    "UnitStation",
    "User",
    "UserSession",
    "utcnow",
    "CalendarFeedToken", "Training", "TrainingAttendance", "TrainingOccurrenceOverride", "TrainingParticipant", "TrainingReminder", "TrainingRun",
]
