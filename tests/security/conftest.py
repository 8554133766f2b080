"""Fixtures of the security tests: English messages, operations run inline."""

import pytest

from tests.operations.conftest import (  # noqa: F401 - fixtures shared with these tests
    accountant_api,
    admin_api,
    kazan_it,
    line_elsewhere,
    line_in_sales,
    sales,
    sales_api,
    staff_api,
    vector_api,
    vector_line,
)


@pytest.fixture(autouse=True)
def english_messages(app):
    app.config["BABEL_DEFAULT_LOCALE"] = "en"


@pytest.fixture(autouse=True)
def eager_operations(app):
    app.config["OPERATIONS_EXECUTOR"] = "eager"
    app.config["OPERATOR_GATEWAY_DELAY"] = 0
