"""Models, one module per aggregate. Importing this package registers every table."""

from app.models.audit import AuditLog
from app.models.lead import Lead, LeadEvent
from app.models.metro import Category, Metro
from app.models.outbox import OutboxEmail
from app.models.provider import Provider
from app.models.user import User

__all__ = ["AuditLog", "Category", "Lead", "LeadEvent", "Metro", "OutboxEmail", "Provider", "User"]
