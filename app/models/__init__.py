"""Models, one module per aggregate. Importing this package registers every table."""

from app.models.assignment import Assignment, AssignmentStatus
from app.models.audit import AuditLog
from app.models.changes import ProviderChange
from app.models.compliance import (
    ComplianceRule,
    MagicLink,
    Reminder,
    ReminderKind,
    ServiceRecord,
    Site,
    Trap,
    TrapStatus,
    TrapType,
)
from app.models.credits import CreditEntry, CreditWallet
from app.models.economics import PipelineNote, PlanPrice
from app.models.lead import DeliveryStatus, EscrowReason, Lead, LeadEvent, LeadMode, LeadStatus
from app.models.metro import Category, Metro
from app.models.notification import Notification
from app.models.offer import Offer, OfferState
from app.models.outbox import OutboxEmail
from app.models.partner import ApiIdempotency, ApiKey, Partner, PartnerLead
from app.models.provider import Provider, ProviderStatus, Tier
from app.models.push import OutboxPush, PushPreference, PushSubscription
from app.models.quotes import Dispute, QuoteView, Review
from app.models.user import User
from app.models.verification import VerificationRequest

__all__ = [
    "Assignment",
    "AuditLog",
    "Category",
    "Lead",
    "LeadEvent",
    "Metro",
    "Notification",
    "Offer",
    "OutboxEmail",
    "Provider",
    "OutboxPush",
    "PushPreference",
    "PushSubscription",
    "ProviderChange",
    "User",
    "VerificationRequest",
    "CreditEntry",
    "CreditWallet",
    "Dispute",
    "PipelineNote",
    "PlanPrice",
    "QuoteView",
    "Review",
    "ApiIdempotency",
    "ApiKey",
    "Partner",
    "PartnerLead",
    "ComplianceRule",
    "MagicLink",
    "Reminder",
    "ServiceRecord",
    "Site",
    "Trap",
    # named states
    "AssignmentStatus",
    "DeliveryStatus",
    "EscrowReason",
    "LeadMode",
    "LeadStatus",
    "OfferState",
    "ProviderStatus",
    "Tier",
    "ReminderKind",
    "TrapStatus",
    "TrapType",
]
