"""Who may do what: the one place role checks live. Every provider and admin route uses these."""

from __future__ import annotations

import functools

from flask import abort
from flask_login import current_user, login_required


def role_required(role: str):
    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role != role:
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_role = role  # read by the access-matrix test
        return wrapped

    return decorator


admin_required = role_required("admin")
provider_required = role_required("provider")
