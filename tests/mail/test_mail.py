"""core.mail: the outbox folder without an SMTP server, and real SMTP to a loopback server."""

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from core.mail import MailError, send_mail


def test_without_mail_server_the_message_is_an_eml_file_in_the_outbox(app, outbox):
    with app.test_request_context():
        send_mail(
            "Ivan@Example.com",
            "Код восстановления",
            "Ваш код: 123456",
            html="<p>Ваш код: <b>123456</b></p>",
            attachments=[("отчёт.csv", "text/csv", b"a;b\r\n1;2\r\n")],
        )
    message = outbox.last("ivan@example.com")
    assert message["Subject"] == "Код восстановления"
    assert "noreply@localhost" in message["From"]
    assert message["Date"] and message["Message-ID"]
    assert message.get_body(("plain",)).get_content().strip() == "Ваш код: 123456"
    assert "<b>123456</b>" in message.get_body(("html",)).get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "отчёт.csv"
    assert attachment.get_content_type() == "text/csv"
    assert attachment.get_payload(decode=True) == b"a;b\r\n1;2\r\n"
    # Nothing half-written is left beside the message.
    assert [p.suffix for p in outbox.folder.iterdir()] == [".eml"]


def test_several_recipients_and_a_subject_cannot_inject_headers(app, outbox):
    with app.test_request_context():
        send_mail(["a@example.com", "b@example.com"], "Hi\r\nBcc: evil@example.com", "x")
    message = outbox.last()
    assert "a@example.com" in message["To"] and "b@example.com" in message["To"]
    assert message["Bcc"] is None
    assert message["Subject"] == "Hi Bcc: evil@example.com"


def test_no_recipient_is_refused(app, outbox):
    with app.test_request_context(), pytest.raises(ValueError):
        send_mail([], "subject", "text")
    assert outbox.messages() == []


def test_default_outbox_is_under_the_instance_folder(make_app):
    app = make_app(MAIL_OUTBOX_DIR=None)
    from core.mail import outbox_dir

    with app.app_context():
        assert outbox_dir() == __import__("pathlib").Path(app.instance_path) / "outbox"


class _Sink:
    """An SMTP server's handler that keeps every message it receives."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server on the loopback interface (aiosmtpd)."""
    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller, sink
    finally:
        controller.stop()


def test_with_mail_server_the_message_goes_out_over_smtp(make_app, smtp_server, tmp_path):
    controller, sink = smtp_server
    app = make_app(
        MAIL_SERVER=controller.hostname,
        MAIL_PORT=controller.port,
        MAIL_DEFAULT_SENDER="Portal <portal@example.com>",
        MAIL_OUTBOX_DIR=str(tmp_path / "outbox"),
    )
    with app.test_request_context():
        send_mail("user@example.com", "Привет", "Текст письма", html="<p>Текст письма</p>")
    [envelope] = sink.envelopes
    assert envelope.mail_from == "portal@example.com"
    assert envelope.rcpt_tos == ["user@example.com"]
    message = message_from_bytes(envelope.original_content, policy=policy.default)
    assert message["Subject"] == "Привет"
    assert message.get_body(("plain",)).get_content().strip() == "Текст письма"
    assert message.get_body(("html",)).get_content().strip() == "<p>Текст письма</p>"
    assert not (tmp_path / "outbox").exists()


def test_an_unreachable_mail_server_is_a_mail_error(make_app, tmp_path):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())
    with app.test_request_context(), pytest.raises(MailError):
        send_mail("user@example.com", "subject", "text")


def test_mail_settings_come_from_the_environment(make_app, monkeypatch):
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.com")
    monkeypatch.setenv("MAIL_PORT", "587")
    monkeypatch.setenv("MAIL_USE_TLS", "true")
    monkeypatch.setenv("MAIL_DEFAULT_SENDER", "noreply@example.com")
    app = make_app()
    assert app.config["MAIL_SERVER"] == "smtp.example.com"
    assert app.config["MAIL_PORT"] == 587
    assert app.config["MAIL_USE_TLS"] is True
    assert app.extensions["mail"].default_sender == "noreply@example.com"
