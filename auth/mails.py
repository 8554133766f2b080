"""Account e-mails (codes, notices), rendered in the recipient's language, text plus HTML."""

import logging

from flask import after_this_request, current_app, has_request_context, render_template
from flask_babel import force_locale

from core.mail import MailError, send_mail

log = logging.getLogger(__name__)


def user_locale(user) -> str:
    """The language the user reads: their saved one, else the portal's default (Russian)."""
    locale = getattr(user, "locale", None)
    if locale in current_app.config["LANGUAGES"]:
        return locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def render_account_mail(template: str, locale: str, **context) -> tuple[str, str, str]:
    """(subject, text, html) of ``templates/auth/mail/<template>.{txt,html}`` in ``locale``."""
    with force_locale(locale):
        context["locale"] = locale
        text = render_template(f"auth/mail/{template}.txt", **context)
        html = render_template(f"auth/mail/{template}.html", **context)
        subject = render_template("auth/mail/subject.txt", template=template, **context)
    return " ".join(subject.split()), text, html


def send_account_mail(to: str, template: str, locale: str, **context) -> bool:
    """Render and send; a failed delivery is logged and reported as False, never raised.

    Account flows must answer the same whether or not a message could be delivered (no
    account enumeration through errors), so callers decide what a failure means.
    """
    subject, text, html = render_account_mail(template, locale, **context)
    try:
        send_mail(to, subject, text, html=html)
    except MailError:
        log.warning("account mail %s to %s was not delivered", template, to)
        return False
    return True


def deliver_after_response(to: str, template: str, locale: str, **context) -> None:
    """Send an account mail over SMTP once the response has gone out, else now.

    Rendering and the SMTP conversation then cost the client nothing, so an answer for an
    existing account takes as long as one for an unknown address. Writing to the outbox
    folder (no ``MAIL_SERVER``) takes about a millisecond and is done at once.
    """
    if not has_request_context() or not current_app.config.get("MAIL_SERVER"):
        send_account_mail(to, template, locale, **context)
        return
    app = current_app._get_current_object()

    @after_this_request
    def _send_on_close(response):
        def send():
            with app.app_context():
                send_account_mail(to, template, locale, **context)

        response.call_on_close(send)
        return response
