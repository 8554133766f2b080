"""The one check of every ``next`` target: a redirect stays on this site."""

import re
from urllib.parse import urlsplit

from flask import url_for

# Browsers drop tabs/newlines and read "\" as "/" (``/\t/evil.example`` is //evil.example):
# any whitespace, control character or backslash makes a target unsafe.
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")


def is_safe_next(target) -> bool:
    """Whether ``target`` is a same-site path ("/..."), not a way off the site."""
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
        return False
    if _UNSAFE.search(target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target, default_endpoint: str = "corp.dashboard") -> str:
    """``target`` when it is a same-site path, else the URL of ``default_endpoint``."""
    return target if is_safe_next(target) else url_for(default_endpoint)
