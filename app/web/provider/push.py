"""Web Push for providers: the "notifications on this device" settings page (devices listed and
removable, per-kind switches, quiet hours) and the JSON endpoints static/js/push.js calls to
subscribe and unsubscribe this browser. Every POST is CSRF-protected (form field or header)."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_login import current_user
from wtforms import BooleanField, StringField

from app.accounts import push_devices
from app.core.refusal import Refusal
from app.extensions import db
from app.platform import push
from app.web.access import provider_required
from app.web.forms import Form
from app.web.provider.forms import CheckboxesField
from app.web.provider.views import bp
from app.web.responses import render


class PushPreferencesForm(Form):
    kinds = CheckboxesField("Send to my devices")
    quiet_start = StringField("Quiet from (HH:MM)")
    quiet_end = StringField("Quiet until (HH:MM)")
    emergencies_break_through = BooleanField("Emergencies break through quiet hours")


def _provider():
    provider = current_user.provider
    if provider is None:
        abort(404)
    return provider


@bp.route("/settings/notifications", methods=["GET", "POST"])
@provider_required
def push_settings():
    provider = _provider()
    pref = push.preference(db.session, provider.id)
    form = PushPreferencesForm(
        data=None
        if request.method == "POST"
        else {
            "kinds": [k for k in push.PUSH_KINDS if pref.wants(k)],
            "quiet_start": pref.quiet_start or "",
            "quiet_end": pref.quiet_end or "",
            "emergencies_break_through": pref.emergencies_break_through,
        }
    )
    form.kinds.choices = list(push.PUSH_KINDS.items())
    if form.validate_on_submit():
        try:
            push_devices.save_preferences(
                db.session,
                provider.id,
                kinds_on=set(form.kinds.data or []),
                quiet_start=form.quiet_start.data,
                quiet_end=form.quiet_end.data,
                emergencies_break_through=form.emergencies_break_through.data,
            )
        except Refusal as refusal:  # refused before anything was written
            for name, message in refusal.fields.items():
                form[name].errors = [message]
        else:
            db.session.commit()
            flash("Notification settings saved.", "success")
            return redirect(url_for("provider.push_settings"), code=303)
    return render(
        "provider/push_settings.html",
        private=True,  # lists this provider's devices
        status=422 if form.errors else 200,
        form=form,
        provider=provider,
        devices=push_devices.devices(db.session, provider.id),
        vapid_public_key=push.public_key(),
    )


@bp.post("/settings/notifications/devices/<int:device_id>/remove")
@provider_required
def push_device_remove(device_id: int):
    provider = _provider()
    if not push_devices.remove(db.session, provider.id, device_id):
        abort(404)
    db.session.commit()
    flash("Device removed: it gets no more notifications.", "success")
    return redirect(url_for("provider.push_settings"), code=303)


@bp.post("/push/subscribe")
@provider_required
def push_subscribe():
    """Body: the browser's PushSubscription.toJSON() ({endpoint, keys: {p256dh, auth}})."""
    provider = _provider()
    data = request.get_json(silent=True) or {}
    keys = data.get("keys") if isinstance(data.get("keys"), dict) else {}
    try:
        device = push_devices.subscribe(
            db.session,
            provider,
            user_id=current_user.id,
            endpoint=str(data.get("endpoint") or ""),
            p256dh=str(keys.get("p256dh") or ""),
            auth=str(keys.get("auth") or ""),
            user_agent=request.headers.get("User-Agent"),
        )
    except Refusal as refusal:  # refused before anything was written
        return jsonify(error=refusal.message, fields=refusal.fields), 422
    db.session.commit()
    return jsonify(id=device.id, label=device.label), 201


@bp.post("/push/unsubscribe")
@provider_required
def push_unsubscribe():
    provider = _provider()
    data = request.get_json(silent=True) or {}
    removed = push_devices.unsubscribe(db.session, provider.id, str(data.get("endpoint") or ""))
    db.session.commit()
    return jsonify(removed=removed)
