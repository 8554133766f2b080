"""Configuration in one place: every setting the code reads is declared in ``core/config.py``
with a default, and the README's configuration table lists exactly those settings."""

import re
from pathlib import Path

from core.config import ENV_SETTINGS, Defaults

ROOT = Path(__file__).resolve().parents[2]
CODE_DIRS = ("auth", "core", "corp", "hierarchy", "roles", "forms")
READ = re.compile(r"config(?:\.get\(|\[)\s*\"([A-Z][A-Z0-9_]+)\"")


def _declared() -> set[str]:
    return {name for name in vars(Defaults) if name.isupper()}


def _read_by_code() -> set[str]:
    files = [ROOT / "app.py", ROOT / "worker.py"]
    for folder in CODE_DIRS:
        files += (ROOT / folder).rglob("*.py")
    return {key for path in files for key in READ.findall(path.read_text(encoding="utf-8"))}


def _readme_rows() -> dict[str, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return {m.group(1): m.group(2) for m in re.finditer(r"^\| `([A-Z0-9_]+)` \|([^\n]*)$",
                                                         section, re.M)}


def test_every_setting_the_code_reads_is_declared_with_a_default():
    read = _read_by_code()
    assert "OPERATIONS_JOB_CHUNK" in read and "CELERY_TASK_QUEUE" in read  # the scan works
    assert read - _declared() == set()


def test_the_readme_table_lists_exactly_the_declared_settings():
    assert set(_readme_rows()) == _declared()


def test_the_readme_names_the_environment_variable_of_each_setting():
    rows = _readme_rows()
    for env_name, (setting, _read) in ENV_SETTINGS.items():
        assert f"`{env_name}`" in rows[setting], setting
