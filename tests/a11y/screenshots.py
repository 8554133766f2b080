"""Phone-width screenshots of pages, for docs/screenshots (and for looking at a layout).

    .venv/bin/python -m tests.a11y.screenshots [OUT_DIR] [PATH ...]

Builds a throw-away SQLite database with the demo data, serves it on 127.0.0.1, signs in as
the demo administrator (or SHOT_USER) in Debian's Chromium at 390 px (or SHOT_WIDTH) and saves
one PNG per path (default: the lines list and a line card) into OUT_DIR (default
docs/screenshots), at most SHOT_MAX_HEIGHT px tall (default 1600).
"""

import os
import re
import sys
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server

from app import create_app
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, TEST_CONFIG, browser_login, build_database

DEFAULT_PAGES = {"lines-list": "/lines", "line-card": "/lines/1"}


def main(argv):
    out = Path(argv[0] if argv else "docs/screenshots")
    pages = {re.sub(r"[^\w-]+", "-", p.strip("/")) or "home": p for p in argv[1:]} or DEFAULT_PAGES
    width = int(os.environ.get("SHOT_WIDTH", 390))
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/shots.sqlite"
        build_database(url)
        app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                context = browser.new_context(
                    base_url=f"http://127.0.0.1:{server.server_port}", locale="ru-RU",
                    viewport={"width": width, "height": 844}, device_scale_factor=1,
                )
                page = context.new_page()
                browser_login(page, os.environ.get("SHOT_USER", "admin@romashka.example"))
                page.wait_for_load_state()
                for name, path in pages.items():
                    page.goto(path)
                    target = out / f"{name}-{width}.png"
                    # The top of long pages is enough to judge the layout (and keeps PNGs small).
                    height = min(page.evaluate("document.documentElement.scrollHeight"),
                                 int(os.environ.get("SHOT_MAX_HEIGHT", 1600)))
                    page.screenshot(path=str(target), full_page=True,
                                    clip={"x": 0, "y": 0, "width": width, "height": height})
                    print(target)
                browser.close()
        finally:
            server.shutdown()


if __name__ == "__main__":
    main(sys.argv[1:])
