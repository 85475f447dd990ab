"""User accounts: creation, password checks."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.models import User

# A hash to compare against when the email is unknown, so timing doesn't reveal accounts.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))


def set_password(user: User, password: str) -> None:
    user.password_hash = generate_password_hash(password, method="scrypt")


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The user if email and password match an active account, else None (same cost either way)."""
    user = find_by_email(session, email)
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.is_active:
        return None
    return user


def create_user(session: Session, email: str, password: str, role: str = "provider",
                name: str | None = None, confirmed_at=None) -> User:
    user = User(email=normalize_email(email), role=role, name=name, email_confirmed_at=confirmed_at)
    set_password(user, password)
    session.add(user)
    session.flush()
    return user
