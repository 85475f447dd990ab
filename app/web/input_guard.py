"""No input breaks a page: control characters in the URL, query and form fields.

NUL (and the other C0 control characters but tab, newline and carriage return) cannot be
stored or even compared in PostgreSQL text, so one typed into a search box or a form field
would end in a 500. Before any view runs: a path holding one is a 404, query arguments and
form fields lose them; a form field that had them is remembered so the forms (app.web.forms)
refuse it with a field message instead of saving the cleaned text. The partner API (JSON) is
checked field by field in app.partners.api.
"""

from __future__ import annotations

from flask import Flask, abort, g, request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

from app.leads.validation import has_control_chars, strip_control_chars

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _cleaned(values: MultiDict) -> tuple[ImmutableMultiDict, set[str]] | None:
    """The values without control characters and the names that had some, or None if clean."""
    dirty = {key for key, value in values.items(multi=True) if has_control_chars(key) or has_control_chars(value)}
    if not dirty:
        return None
    items = [(strip_control_chars(k), strip_control_chars(v)) for k, v in values.items(multi=True)]
    return ImmutableMultiDict(items), {strip_control_chars(k) for k in dirty}


def control_char_fields() -> set[str]:
    """Names of the submitted form fields that held control characters (this request)."""
    return g.get("control_char_fields", set())


def init_app(app: Flask) -> None:
    @app.before_request
    def strip_control_characters():
        if has_control_chars(request.path):
            abort(404)
        args = _cleaned(request.args)
        if args is not None:
            request.args = args[0]
        if request.method != "GET" and request.mimetype in FORM_TYPES:
            form = _cleaned(request.form)
            if form is not None:
                request.form, g.control_char_fields = form
