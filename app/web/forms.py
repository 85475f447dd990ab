"""The base of every form: a field that arrived with control characters (see input_guard)
is refused with a message on that field, so nothing typed that way is saved."""

from __future__ import annotations

from flask_wtf import FlaskForm

from app.leads.validation import CONTROL_CHARS_ERROR
from app.web.input_guard import control_char_fields


class Form(FlaskForm):
    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for name in control_char_fields():
            field = self._fields.get(name)
            if field is not None:
                field.errors = [*field.errors, CONTROL_CHARS_ERROR]
                ok = False
        return ok
