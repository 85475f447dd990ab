"""Sign up, sign in and out, email confirmation, password reset."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, g, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.orm import joinedload

from app.accounts import users as accounts
from app.core.refusal import Refusal
from app.extensions import db, limiter, login_manager
from app.models import User
from app.web.auth.forms import LoginForm, ResetPasswordForm, ResetRequestForm, SignupForm
from app.web.responses import on_refusal, refused_fields, render

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"

RESET_SENT = (
    "If an account uses that address, we've emailed it a link to choose a new password. "
    "The link works once, for an hour."
)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The signed-in user, unless deactivated, or the password changed or its sessions were
    ended since (see User.get_id)."""
    user_id = (session_id or "").partition(".")[0]
    if not user_id.isdigit():
        return None
    # with its listing (and the listing's metro) in the same statement: every provider page reads it
    user = db.session.get(User, int(user_id), options=[joinedload(User.provider)])
    if user is None or not user.is_active or user.get_id() != session_id:
        return None
    return user


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def home_for(user: User) -> str:
    return url_for("admin.dashboard") if user.is_admin else url_for("provider.dashboard")


def _start_session(user: User, remember: bool = False) -> None:
    session.clear()  # a fresh session (and CSRF token) at login: no fixation
    g.pop("csrf_token", None)  # the token cached for this request belonged to the old session
    login_user(user, remember=remember)


def _submitted_email() -> str:
    return "login-email:" + accounts.normalize_email(request.form.get("email", ""))[:254]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute;50 per hour", methods=["POST"])  # per client address
@limiter.limit("20 per hour", methods=["POST"], key_func=_submitted_email)  # per account, from anywhere
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(db.session, form.email.data, form.password.data)
        if user is None:
            form.password.errors.append("That email and password don't match an account.")
        else:
            _start_session(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or home_for(user), code=303)
    return render_template(
        "auth/login.html", form=form, next=safe_next(request.args.get("next"))
    ), 422 if form.errors else 200


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def signup():
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or home_for(current_user))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user = accounts.sign_up(db.session, form.email.data, form.password.data, form.name.data)
        except Refusal as refusal:  # shown on the form's own fields, like its validation errors
            db.session.rollback()
            refused_fields(form, refusal)
        else:
            db.session.commit()
            _start_session(user)
            flash(f"Welcome! We've sent a confirmation link to {user.email}.", "success")
            return redirect(next_url or url_for("provider.dashboard"), code=303)
    return render_template("auth/signup.html", form=form, next=next_url), 422 if form.errors else 200


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:  # a copy of this cookie elsewhere stops working too
        accounts.end_sessions(db.session, current_user.id)
        db.session.commit()
    logout_user()
    session.clear()
    g.pop("csrf_token", None)
    flash("You're signed out.", "info")
    return redirect(url_for("public.home"), code=303)


def _no_referrer(view):
    """Pages whose URL holds a secret token must not leak it in the Referer header."""
    import functools

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    return wrapped


def _bad_link(refusal: Refusal, link: tuple[str, str] | None = None):
    return render("auth/message.html", title="That link doesn't work", message=refusal.message, link=link)


@bp.get("/confirm/<token>")
@_no_referrer
@on_refusal(again=lambda refusal, token: _bad_link(refusal), status=400)
def confirm_email(token: str):
    message = accounts.confirm_email(db.session, token)
    db.session.commit()
    flash(message, "success")
    if current_user.is_authenticated:
        return redirect(home_for(current_user), code=303)
    return redirect(url_for("auth.login"), code=303)


@bp.post("/confirm/resend")
@login_required
@limiter.limit("5 per hour")
def resend_confirmation():
    if current_user.email_confirmed_at is None:
        accounts.send_confirmation(db.session, current_user)
        db.session.commit()
        flash(f"We've sent a new confirmation link to {current_user.email}.", "success")
    return redirect(home_for(current_user), code=303)


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("5 per 15 minutes;20 per day", methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        accounts.request_password_reset(db.session, form.email.data)
        db.session.commit()
        return render_template("auth/message.html", title="Check your email", message=RESET_SENT)
    return render_template("auth/reset_request.html", form=form), 422 if form.errors else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit("10 per 15 minutes", methods=["POST"])
@_no_referrer
@on_refusal(again=lambda refusal, token: _bad_link(refusal, ("auth.reset_request", "Send a new link")), status=400)
def reset_password(token: str):
    accounts.user_for_reset(db.session, token)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user = accounts.reset_password(db.session, token, form.password.data)
        db.session.commit()
        _start_session(user)
        flash("Your password is changed and you're signed in.", "success")
        return redirect(home_for(user), code=303)
    return render_template("auth/reset_password.html", form=form), 422 if form.errors else 200
