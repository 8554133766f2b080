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


BINARY = {"type": "string", "format": "binary"}
FILE_TYPES = {"text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
              "application/pdf", "application/zip", "image/jpeg", "image/png"}


def test_every_operation_documents_its_success_body(spec):
    """A new endpoint cannot slip: each operation declares a 2xx answer, and each 2xx answer
    with a body declares its content — JSON with a schema, or a file type as binary —
    which the fuzzing run (``scripts/fuzz-api``) then holds the answers to."""
    missing = []
    operations = 0
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            operations += 1
            successes = {code: response for code, response in operation["responses"].items()
                         if str(code).startswith("2")}
            if not successes:
                missing.append(f"{method.upper()} {path}: no 2xx answer")
            for code, response in successes.items():
                content = response.get("content", {})
                if code == "204":
                    if content:
                        missing.append(f"{method.upper()} {path}: 204 with a body")
                    continue
                if not content:
                    missing.append(f"{method.upper()} {path} {code}: no content")
                for media, body in content.items():
                    if media == "application/json":
                        if not body.get("schema"):
                            missing.append(f"{method.upper()} {path} {code}: no schema")
                    elif media not in FILE_TYPES or body.get("schema") != BINARY:
                        missing.append(f"{method.upper()} {path} {code}: {media} not binary")
    assert operations > 70
    assert missing == []
