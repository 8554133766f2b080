"""Outgoing e-mail: one function for every sender (codes, notices, reports).

SMTP goes through Flask-Mail and its settings (``MAIL_SERVER``, ``MAIL_PORT``,
``MAIL_USE_TLS``, ``MAIL_USE_SSL``, ``MAIL_USERNAME``, ``MAIL_PASSWORD``,
``MAIL_DEFAULT_SENDER``). Without ``MAIL_SERVER`` (the embedded default) every message is
written as an ``.eml`` file to ``MAIL_OUTBOX_DIR`` (``instance/outbox/`` unless set), so a
fresh installation never loses a message and a developer can open what was sent.
"""

import logging
import os
import secrets
import time
from collections.abc import Sequence
from pathlib import Path

from flask import current_app
from flask_mail import Message

from core.extensions import mail

log = logging.getLogger(__name__)


class MailError(RuntimeError):
    """The message could not be handed to the SMTP server or written to the outbox."""


def send_mail(
    to: str | list[str],
    subject: str,
    text: str,
    html: str | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
) -> None:
    """Send one message (plain text, optional HTML alternative, optional attachments).

    ``attachments`` are ``(filename, mimetype, bytes)``. The caller renders the texts in
    the recipient's language. Raises ``MailError`` when the message could not be sent.
    """
    recipients = [to] if isinstance(to, str) else list(to)
    recipients = [address.strip() for address in recipients if address and address.strip()]
    if not recipients:
        raise ValueError("send_mail needs at least one recipient")
    # A line break in a header would let text inject headers; a subject is one line.
    subject = " ".join(str(subject).split())
    message = Message(subject=subject, recipients=recipients, body=text, html=html)
    for filename, mimetype, data in attachments:
        message.attach(filename=filename, content_type=mimetype, data=data)
    if current_app.config.get("MAIL_SERVER"):
        try:
            mail.send(message)
        except Exception as error:  # smtplib and socket errors have no common base
            log.exception("mail to %s could not be sent", ", ".join(recipients))
            raise MailError(str(error)) from error
        return
    _write_to_outbox(message)


def outbox_dir() -> Path:
    """The folder that receives ``.eml`` files when no SMTP server is configured."""
    configured = current_app.config.get("MAIL_OUTBOX_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "outbox"


def _write_to_outbox(message: Message) -> Path:
    folder = outbox_dir()
    if message.date is None:
        message.date = time.time()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(6)}.eml"
        partial = folder / (name + ".part")
        # Written aside and renamed: a reader of the folder never sees half a message.
        partial.write_bytes(message.as_bytes())
        os.replace(partial, folder / name)
    except OSError as error:
        log.exception("mail could not be written to %s", folder)
        raise MailError(str(error)) from error
    log.info("mail to %s written to %s", ", ".join(message.recipients), folder / name)
    return folder / name
