"""JSON answers are written by orjson (``core/jsonio.py``) and mean what Flask's own
provider wrote: same values, sorted keys, Flask's rules for dates and decimals."""

import datetime
import decimal
import json

import pytest
from flask.json.provider import DefaultJSONProvider

VALUES = [
    {"b": 1, "a": "Привет, «мир»", "list": [1, 2.5, True, None], "nested": {"z": 1, "y": []}},
    {"day": datetime.date(2026, 1, 2), "at": datetime.datetime(2026, 1, 2, 3, 4, 5),
     "amount": decimal.Decimal("1.50")},
    {"big": 2**70},  # past orjson's 64 bits: written by the standard encoder
    [1, "два", 3.0],
]


@pytest.mark.parametrize("value", VALUES)
def test_the_same_json_as_flasks_provider(app, value):
    with app.test_request_context():
        fast = app.json.response(value)
        plain = DefaultJSONProvider.response(app.json, value)
    assert fast.mimetype == plain.mimetype == "application/json"
    body = fast.get_data()
    assert body.endswith(b"\n") and b": " not in body  # compact, as Flask out of debug
    assert json.loads(body) == json.loads(plain.get_data())
    if isinstance(value, dict):
        assert list(json.loads(body)) == sorted(value)


def test_an_unserialisable_value_is_still_an_error(app):
    with app.test_request_context(), pytest.raises(TypeError, match="not JSON serializable"):
        app.json.response({"x": object()})


def test_the_api_answers_utf8_json(client, api_token):
    answer = client.get("/api/v1/lines?per_page=3", headers=api_token("admin@romashka.example"))
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    body = answer.get_data()
    name = answer.json["items"][0]["tariff"]["name"]
    assert any("а" <= letter <= "я" for letter in name.lower())  # the demo's tariffs are Russian
    assert name.encode() in body and b"\\u" not in body  # UTF-8 as it is, not escaped
