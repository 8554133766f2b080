"""Language choice: the user's saved locale, else the session's, else Russian; and the
templates' gettext, which resolves the request's translations once per request."""

import flask_babel
from flask import current_app, g, has_request_context, session
from flask_babel.speaklater import LazyString
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup


def select_locale() -> str:
    """The locale of this request (Russian is the users' language; English on request)."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if user_locale in languages:
        return user_locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


_MEMO = "_vm_translations"


def _request_globals():
    """``g`` itself (one look-up through the proxy), or None outside an app context."""
    try:
        return g._get_current_object()
    except RuntimeError:
        return None


def translations():
    """The current translations, as ``flask_babel.get_translations()`` gives them, looked up
    once per request, locale and domain. Flask-Babel resolves the domain, the locale and the
    locale's cache key on every call (~25 µs; a page translates a hundred strings and more).
    The memo lives on ``g`` and is keyed by the locale object Flask-Babel holds for the
    request, so ``force_locale`` (mails in the recipient's language) and ``refresh`` are seen
    at once."""
    glob = _request_globals()
    if glob is None:
        return flask_babel.get_translations()
    state = getattr(glob, "_flask_babel", None)
    locale = getattr(state, "babel_locale", None)
    memo = getattr(glob, _MEMO, None)
    if (memo is not None and locale is not None and memo[0] is locale
            and memo[1] is getattr(state, "babel_domain", None)):
        return memo[2]
    found = flask_babel.get_translations()
    state = getattr(glob, "_flask_babel", None)  # set by get_translations()
    setattr(glob, _MEMO, (getattr(state, "babel_locale", None),
                          getattr(state, "babel_domain", None), found))
    return found


def current_locale():
    """``flask_babel.get_locale()``, reading the locale the request already chose directly."""
    glob = _request_globals()
    locale = getattr(getattr(glob, "_flask_babel", None), "babel_locale", None)
    return locale if locale is not None else flask_babel.get_locale()


def gettext(string: str, **variables) -> str:
    """``flask_babel.gettext`` through the request's translations above."""
    text = translations().ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string: str, **variables) -> LazyString:
    """``flask_babel.lazy_gettext`` (the same lazy string) translating through ``gettext``."""
    return LazyString(gettext, string, **variables)


@pass_context
def _template_gettext(context, string, **variables):
    """Jinja's newstyle ``gettext`` (and ``_``), calling the translations directly: the same
    result as ``install_gettext_callables(newstyle=True)`` gives, without its two
    ``context.call`` layers per string."""
    text = translations().ugettext(string)
    if context.eval_ctx.autoescape:
        # The catalogue's own (trusted) text, as Jinja's gettext marks it; the variables
        # formatted in below are escaped by Markup's ``%``.
        text = Markup(text)  # noqa: S704  # nosec B704
    return text % variables  # always a format string, as Jinja's newstyle gettext


@pass_context
def _template_ngettext(context, singular, plural, num, **variables):
    variables.setdefault("num", num)
    text = translations().ungettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        # The catalogue's own (trusted) text, as Jinja's gettext marks it; the variables
        # formatted in below are escaped by Markup's ``%``.
        text = Markup(text)  # noqa: S704  # nosec B704
    return text % variables


def install_template_gettext(app) -> None:
    """Give the templates' ``_``/``gettext``/``ngettext`` (newstyle, as Flask-Babel installs
    them) the per-request translations above; call after ``babel.init_app``."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext,
                                 ngettext=_template_ngettext)
