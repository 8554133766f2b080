"""The served OpenAPI document is valid and says what the API sends."""

import re

import pytest


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").get_json()


def test_bounds_are_numbers_and_decimals_are_strings(spec):
    text = str(spec)
    assert not re.search(r"'(minimum|maximum)': '", text)
    balance = spec["components"]["schemas"]["BillingAccount"]["properties"]["balance"]
    assert balance["type"] == "string" and balance["format"] == "decimal"


def test_error_schema_matches_the_error_bodies(spec, client):
    error = spec["components"]["schemas"]["Error"]["properties"]
    body = client.get("/api/v1/lines/1").get_json()  # anonymous: 401
    assert set(body) <= set(error)
    assert isinstance(body["code"], str) and error["code"]["type"] == "string"
    assert isinstance(body["status"], int) and error["status"]["type"] == "integer"
