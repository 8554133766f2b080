"""Every setting the code reads is declared, with its default, in ``core.config.Defaults``."""

import re
from pathlib import Path

from flask import Flask

from core.config import Defaults

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("auth", "core", "corp", "forms", "hierarchy", "roles", "staff")
READ = re.compile(r"config(?:\.get\(|\[)\s*\"([A-Z][A-Z0-9_]+)\"")


def _keys_read() -> dict[str, str]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for key in READ.findall(path.read_text(encoding="utf-8")):
                found.setdefault(key, str(path.relative_to(ROOT)))
    return found


def test_every_setting_read_is_declared_in_defaults():
    keys = _keys_read()
    assert {"VAT_RATES", "REPORT_RETENTION_HOURS", "REPORT_FILES_DIR"} <= keys.keys()
    declared = set(vars(Defaults)) | set(Flask.default_config)
    missing = sorted(f"{key} ({where})" for key, where in keys.items() if key not in declared)
    assert missing == [], "declare these in core.config.Defaults: " + ", ".join(missing)


def test_report_defaults_are_what_the_app_uses(app):
    assert app.config["REPORT_RETENTION_HOURS"] == 24
    assert app.config["PDF_PARALLEL_MIN_ROWS"] == 600
    assert app.config["VAT_RATES"] is None  # the built-in table of corp.billing.money
