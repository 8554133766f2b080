"""Language choice: the user's saved locale, else the session's, else Russian."""

from flask import current_app, has_request_context, session
from flask_login import current_user


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
