"""Opening a browser page that collects the console errors a test did not expect."""

from __future__ import annotations

import re
from typing import Any


def open_page(
    browser: Any,
    server: str,
    problems: list[str],
    expected: re.Pattern[str],
    width: int = 1440,
) -> Any:
    """A page whose console errors land in `problems`, except those `expected` matches
    (the failed-resource lines of the error statuses the test provokes on purpose)."""
    context = browser.new_context(base_url=server, viewport={"width": width, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("console", lambda message: _note(problems, expected, message, page.url))
    page.on("dialog", lambda dialog: dialog.accept())
    return page


def _note(problems: list[str], expected: re.Pattern[str], message: Any, url: str) -> None:
    if message.type == "error" and not expected.match(message.text):
        problems.append(f"{url}: {message.text[:160]}")
