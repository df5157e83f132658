"""Browser tests: a real `clientbase serve` on a fresh SQLite file, driven by Debian Chromium.

Without /usr/bin/chromium they skip with a message, except in CI (CI=true), where they fail:
CI installs Chromium and must run them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "correct-horse-battery"
STARTUP_SECONDS = 60


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI must run them, never skip", pytrace=False)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app as users get it: `clientbase serve` migrates, creates the admin, serves."""
    require_chromium()
    workdir = tmp_path_factory.mktemp("e2e-server")
    port = _free_port()
    env = {
        **os.environ,
        "CLIENTBASE_DATABASE_URL": f"sqlite:///{workdir / 'e2e.db'}",
        "CLIENTBASE_ADMIN_EMAIL": ADMIN_EMAIL,
        "CLIENTBASE_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "CLIENTBASE_SECRET_KEY": "e2e-signing-key-that-is-long-enough-0123456789",
    }
    command = [sys.executable, "-c", "from clientbase.cli.main import app; app()"]
    command += ["serve", "--host", "127.0.0.1", "--port", str(port)]
    log = (workdir / "server.log").open("w")
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
        command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(base, process, workdir / "server.log")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _wait_until_ready(base: str, process: subprocess.Popen[Any], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"the server did not start in {STARTUP_SECONDS}s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def shoot() -> Any:
    """shoot(page, name): a full-page screenshot under test-artifacts/e2e/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> None:
        # caret="initial": hiding the caret injects a <style> the CSP (rightly) refuses.
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True, caret="initial")

    return take
