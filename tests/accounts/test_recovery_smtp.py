"""A real SMTP server on loopback receives the recovery code; the code sets a new password."""

import re
from email import message_from_bytes, policy

from tests.conftest import PASSWORD
from tests.mail.test_mail import smtp_server  # noqa: F401 - the loopback SMTP server fixture


def test_recovery_code_arrives_over_smtp_after_the_answer(make_app, smtp_server):  # noqa: F811
    controller, sink = smtp_server
    app = make_app(MAIL_SERVER=controller.hostname, MAIL_PORT=controller.port,
                   MAIL_DEFAULT_SENDER="Portal <portal@example.com>")
    client = app.test_client()
    with client.post("/api/v1/auth/recovery",
                     json={"email": "accountant@romashka.example"}) as response:
        assert response.status_code == 202
        # Sent once the answer has gone out (same timing for unknown addresses).
        assert sink.envelopes == []
    [envelope] = sink.envelopes
    assert envelope.rcpt_tos == ["accountant@romashka.example"]
    message = message_from_bytes(envelope.original_content, policy=policy.default)
    code = re.search(r"\b(\d{6})\b", message.get_body(("plain",)).get_content()).group(1)
    assert code in message.get_body(("html",)).get_content()
    with client.post("/api/v1/auth/recovery",
                     json={"email": "nobody@romashka.example"}) as unknown:
        assert unknown.status_code == 202 and unknown.json == response.json
    assert len(sink.envelopes) == 1
    confirmed = client.post("/api/v1/auth/recovery/confirm", json={
        "email": "accountant@romashka.example", "code": code,
        "new_password": "Autumn-leaves-fall-77"})
    assert confirmed.status_code == 204
    assert client.post("/api/v1/auth/token", json={
        "email": "accountant@romashka.example", "password": PASSWORD}).status_code == 401
