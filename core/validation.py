"""Validation at the edge, one rule each: ids fit their column, text has no control bytes.

- ``Id``: a marshmallow integer that is an integer (``7.9`` and ``"7"`` refused), positive
  and within the database's ``INTEGER`` (2³¹−1); the OpenAPI document shows the bounds.
- ``IdList(max_length)``: a bounded list of those.
- ``BoundedIntConverter``: the ``<int:...>`` of every URL, so an id past the column's range
  is a 404 like any unknown id instead of an "integer out of range" 500.
- ``refuse_control_characters``: before every request, a NUL or other control byte in the
  query string, a form field or a JSON body is a 422 (PostgreSQL cannot store NUL).
"""

import re

from email_validator import EmailNotValidError, validate_email
from flask import request
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from werkzeug.routing import IntegerConverter

from core.errors import InvalidInput

DB_INT_MAX = 2**31 - 1
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_JSON_CONTROL = re.compile(rb"\\u00(?:0[0-8bcef]|1[0-9a-f])|\\u007f|[\x00-\x08\x0b\x0c\x0e-\x1f]",
                           re.IGNORECASE)


class Id(fields.Integer):
    """A database id: a whole number from 1 to 2³¹−1. JSON must send a number without a
    fraction (``7.9`` and ``true`` are refused, not read as 7 and 1); a query string sends
    its digits."""

    _DIGITS = re.compile(r"[+-]?[0-9]{1,20}")

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Range(min=1, max=DB_INT_MAX))
        super().__init__(**kwargs)

    def _validated(self, value):
        if isinstance(value, bool | float) or not isinstance(value, int | str) or (
                isinstance(value, str) and not self._DIGITS.fullmatch(value.strip())):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


def IdList(max_length: int, **kwargs) -> fields.List:  # noqa: N802 - reads like a field class
    """A list of at most ``max_length`` ids."""
    kwargs.setdefault("validate", validate.Length(max=max_length))
    return fields.List(Id(), **kwargs)


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` limited to the database's INTEGER range."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - Werkzeug's signature
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(map, *args, **kwargs)


def has_control_characters(text: str) -> bool:
    """Whether text holds a NUL or another control character (tab, CR, LF allowed)."""
    return bool(_CONTROL.search(text))


def refuse_control_characters():
    """Before every request: 422 for control characters in args, form fields or JSON."""
    bad = [key for key, value in request.args.items(multi=True)
           if has_control_characters(key) or has_control_characters(value)]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        bad += [key for key, value in request.form.items(multi=True)
                if has_control_characters(key) or has_control_characters(value)]
    if request.is_json and _JSON_CONTROL.search(request.get_data(cache=True)):
        bad.append("json")
    if bad:
        raise InvalidInput({name[:60] or "_schema": _("Control characters are not allowed.")
                            for name in bad})


class PatchSchema(Schema):
    """The body of a PATCH: at least one field to change (an empty body is a 422)."""

    @validates_schema
    def _not_empty(self, data, **_kwargs):
        if not data:
            raise ValidationError(_("Send at least one field to change."), "_schema")


def parse_int(value) -> int | None:
    """A form or query value as an int that fits an INTEGER column, else None."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if -DB_INT_MAX <= number <= DB_INT_MAX else None


def decimal_as_string(self, field, ret, **_kwargs) -> dict:
    """OpenAPI: a ``Decimal`` sent as a string is declared a string (with a decimal pattern),
    and its bounds are numbers, not the strings apispec would copy from the field."""
    out = {}
    for key in ("minimum", "maximum"):
        if isinstance(ret.get(key), str):
            out[key] = float(ret[key])
    if isinstance(field, fields.Decimal) and field.as_string:
        out.update({"type": "string", "format": "decimal", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"})
        if ret.get("nullable"):
            out["nullable"] = True
    return out


def register_openapi_rules(api) -> None:
    """Teach the OpenAPI generator the rules above (before any blueprint is registered)."""
    api.ma_plugin.converter.add_attribute_function(decimal_as_string)


def clean_email(text) -> str | None:
    """One e-mail rule for the whole portal (users, employees, bill delivery): the
    ``email-validator`` package's syntax check and normal form (the domain lower-cased, the
    local part as typed: callers that compare addresses lower-case them); None if it is no
    address
    (``=hyperlink(...)&"@x.ru"`` is none)."""
    value = str(text or "").strip()
    if not value or len(value) > 254:
        return None
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        return None
