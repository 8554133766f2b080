"""Route access marks: the label every route carries, read by ``roles.access``.

The marks themselves are plain attributes on view functions, so the lowest layer (``core``:
health and metrics probes) can mark its routes without importing authorization. What a mark
means — who may pass — is decided in one place, ``roles.access.enforce_route_marks``, which
refuses any route without a mark (deny by default). Use the marks through ``roles.access``;
only ``core`` imports them from here.
"""

PUBLIC = "public"
AUTHENTICATED = "authenticated"
OPERATOR_STAFF = "operator_staff"


def mark(fn, value):
    """Attach an access mark to a view function."""
    fn._access = value
    return fn


def public(fn):
    """Mark a route as open to anyone (login page, static files, health)."""
    return mark(fn, PUBLIC)


def authenticated(fn):
    """Mark a route as open to any signed-in user; the page filters by the user's scopes."""
    return mark(fn, AUTHENTICATED)


def operator_staff(fn):
    """Mark a route as open to operator staff only."""
    return mark(fn, OPERATOR_STAFF)


def route_mark(view_func, method: str):
    """The access mark of a view function (for class-based views, of the method's handler)."""
    value = getattr(view_func, "_access", None)
    view_class = getattr(view_func, "view_class", None)
    if view_class is not None:
        handler = getattr(view_class, method.lower(), None)
        if handler is None and method == "HEAD":
            handler = getattr(view_class, "get", None)
        value = getattr(handler, "_access", value)
    return value
