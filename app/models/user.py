"""User accounts: providers (who claim listings) and admins. Customers have no account."""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Model, TimestampMixin, UTCDateTime, check_in

ROLES = ("provider", "admin")


def password_fingerprint(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:20]


class User(UserMixin, TimestampMixin, Model):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(check_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str | None] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="provider")
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_active_account: Mapped[bool] = mapped_column(default=True)
    # Part of every session and remember cookie (get_id): raising it ends them all, wherever
    # they were copied to (sign-out, password change or reset, suspension; see accounts.users).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    provider = relationship("Provider", back_populates="owner", uselist=False, foreign_keys="Provider.owner_id")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.is_active_account

    def get_id(self) -> str:
        """Flask-Login's session/remember-cookie id: the user id, a fingerprint of the password
        hash and the session version, so a new password or `end_sessions` (sign-out,
        suspension...) makes every earlier cookie, copied or not, sign in nobody."""
        return f"{self.id}.{password_fingerprint(self.password_hash)}.{self.session_version or 0}"

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"
