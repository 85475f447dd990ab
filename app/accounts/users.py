"""User accounts: sign-up, password checks, email confirmation and password reset."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts import tokens
from app.core import clock
from app.core.db import affected
from app.core.refusal import Refusal
from app.core.urls import external_url
from app.models import User
from app.platform import outbox

MIN_PASSWORD_LENGTH = 12
EMAIL_TAKEN = "An account already uses this email. Sign in, or reset your password."
BAD_CONFIRM_LINK = "The confirmation link is invalid or has expired. Sign in and ask for a new one from your dashboard."
BAD_RESET_LINK = "This password reset link is invalid, expired or already used. Ask for a new one."

# A hash to compare against when the email is unknown, so timing doesn't reveal accounts.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable, or None."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > 200:
        return "Use at most 200 characters."
    return None


def set_password(user: User, password: str) -> None:
    user.password_hash = generate_password_hash(password, method="scrypt")
    user.session_version = (user.session_version or 0) + 1


def end_sessions(session: Session, user_id: int) -> None:
    """Sign the user out everywhere: every session and remember cookie issued so far (also one
    copied to another browser) stops working. Atomic, so concurrent calls all count."""
    session.execute(
        update(User)
        .where(User.id == user_id)
        .values(session_version=User.session_version + 1)
        .execution_options(synchronize_session=False)
    )
    user = session.get(User, user_id)
    if user is not None:
        session.refresh(user)


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The user if email and password match an active account, else None (same cost either way)."""
    user = find_by_email(session, email)
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.is_active:
        return None
    return user


def create_user(
    session: Session, email: str, password: str, role: str = "provider", name: str | None = None, confirmed_at=None
) -> User:
    user = User(email=normalize_email(email), role=role, name=name, email_confirmed_at=confirmed_at)
    set_password(user, password)
    session.add(user)
    session.flush()
    return user


def sign_up(session: Session, email: str, password: str, name: str | None = None) -> User:
    """A new provider account (unconfirmed) and its confirmation email; refused (naming the
    email field) when an account already uses the address."""
    if find_by_email(session, email) is not None:
        raise Refusal(EMAIL_TAKEN, {"email": EMAIL_TAKEN})
    try:
        with session.begin_nested():  # the unique constraint decides a simultaneous sign-up
            user = create_user(session, email, password, role="provider", name=(name or "").strip() or None)
    except IntegrityError:
        raise Refusal(EMAIL_TAKEN, {"email": EMAIL_TAKEN}) from None
    send_confirmation(session, user)
    return user


# ------------------------------------------------------------------ email confirmation
def send_confirmation(session: Session, user: User) -> None:
    token = tokens.make(tokens.CONFIRM, {"u": user.id, "e": user.email})
    outbox.queue_email(
        session,
        kind="email_confirm",
        to=user.email,
        template="account_confirm",
        context={
            "name": user.name or "",
            "confirm_url": external_url("auth.confirm_email", token=token),
            "hours": int(tokens.MAX_AGE[tokens.CONFIRM].total_seconds() // 3600),
        },
    )


def confirm_email(session: Session, token: str) -> str:
    """Mark the address confirmed if the token is valid for the account's current email; says
    whether it was confirmed now or already was. Refusal when the link is no good."""
    data = tokens.read(tokens.CONFIRM, token)
    if data is None:
        raise Refusal(BAD_CONFIRM_LINK)
    result = session.execute(
        update(User)
        .where(User.id == data.get("u"), User.email == data.get("e"), User.email_confirmed_at.is_(None))
        .values(email_confirmed_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    if affected(result) == 1:
        return "Your email is confirmed."
    user = session.get(User, data.get("u"))
    if user is not None and user.email == data.get("e") and user.email_confirmed_at is not None:
        return "Your email was already confirmed."
    raise Refusal(BAD_CONFIRM_LINK)


# ------------------------------------------------------------------ password reset
def request_password_reset(session: Session, email: str) -> None:
    """Email a reset link if the address has an active account; do nothing visible otherwise."""
    user = find_by_email(session, email)
    if user is None or not user.is_active:
        return
    token = tokens.make(tokens.RESET, {"u": user.id, "p": tokens.fingerprint(user.password_hash)})
    outbox.queue_email(
        session,
        kind="password_reset",
        to=user.email,
        template="password_reset",
        context={
            "name": user.name or "",
            "reset_url": external_url("auth.reset_password", token=token),
            "minutes": int(tokens.MAX_AGE[tokens.RESET].total_seconds() // 60),
        },
    )


def user_for_reset(session: Session, token: str) -> User:
    """The account a reset token is still good for (genuine, unexpired, unused); Refusal if none."""
    data = tokens.read(tokens.RESET, token)
    if data is None:
        raise Refusal(BAD_RESET_LINK)
    user = session.get(User, data.get("u"))
    if user is None or not user.is_active or tokens.fingerprint(user.password_hash) != data.get("p"):
        raise Refusal(BAD_RESET_LINK)
    return user


def reset_password(session: Session, token: str, new_password: str) -> User:
    """Set the new password if the token is still good; single use even under a race:
    the UPDATE only applies while the password is the one the token was issued for."""
    user = user_for_reset(session, token)
    old_hash = user.password_hash
    new_hash = generate_password_hash(new_password, method="scrypt")
    values: dict[str, object] = {"password_hash": new_hash, "session_version": User.session_version + 1}
    if user.email_confirmed_at is None:  # the reset link proved the address
        values["email_confirmed_at"] = clock.now()
    result = session.execute(
        update(User)
        .where(User.id == user.id, User.password_hash == old_hash)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if affected(result) != 1:
        raise Refusal(BAD_RESET_LINK)
    session.refresh(user)
    return user
