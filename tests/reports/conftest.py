"""Reports use the billing tests' fixtures: inline jobs, a folder per test, a small company."""

from tests.billing.conftest import report_settings, small_company  # noqa: F401
