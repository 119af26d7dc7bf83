"""Browser tests: Playwright drives Debian's chromium against real ``comptoir serve`` processes.

Nothing downloads a browser: chromium comes from ``apt-get install chromium`` (``make
system-deps``) and is launched by path (``COMPTOIR_CHROMIUM`` overrides it).

Fixtures:
- ``browser`` (package): one headless chromium for the browser tests;
- ``till_site`` (module): a standalone till home with sample data, a manager and a cashier
  account, served on a free port;
- ``page`` (function): a fresh French browser context; when the test fails, a screenshot
  goes to ``artifacts/failures/``.
Helpers: :func:`login`, :func:`screenshot` (``artifacts/screenshots/``, used by the README).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.scenario.conftest import (
    CLI_TIMEOUT,
    ROOT,
    STORE,
    Server,
    child_env,
    comptoir_argv,
    parse_json,
)

CHROMIUM = os.environ.get("COMPTOIR_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("COMPTOIR_ARTIFACTS", ROOT / "artifacts"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MANAGER = ("gerant", "gerant-secret-1")
CASHIER = ("caisse", "caisse-secret-1")


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Package-scoped: Playwright's sync API keeps an event loop running in the main
    thread while it is open, and Django refuses database calls from such a thread; the
    tests that run after the browser tests must not see it."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium introuvable ({CHROMIUM}) : lancez « make system-deps ».")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Site:
    """One served home and the CLI to look at it from the outside."""

    home: Path
    server: Server

    @property
    def url(self) -> str:
        return self.server.url

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            comptoir_argv(*args, "--home", str(self.home)),
            env=child_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"comptoir {' '.join(args)} : code {result.returncode}\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result

    def json(self, *args: str) -> Any:
        return parse_json(self.run(*args, "--json"))


def make_till_site(base: Path, *, articles: int = 40, days: int = 3) -> Site:
    """A standalone till (no hub) with sample data and both accounts."""
    home = base / "till"
    init = subprocess.run(
        comptoir_argv(
            "node",
            "init",
            "--home",
            str(home),
            "--store",
            STORE,
            "--till-name",
            "Caisse 1",
            "--prefix",
            "C1",
            "--admin-user",
            MANAGER[0],
            "--admin-password",
            MANAGER[1],
        ),
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )
    assert init.returncode == 0, init.stdout + init.stderr
    site = Site(home=home, server=Server(home, name="till", log_dir=base))
    site.run(
        "demo_populate",
        "--days",
        str(days),
        "--articles",
        str(articles),
        "--customers",
        "10",
        "--sales-per-day",
        "5",
    )
    site.run("user", "add", CASHIER[0], "--role", "cashier", "--password", CASHIER[1])
    site.server.start()
    return site


@pytest.fixture(scope="module")
def till_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    site = make_till_site(tmp_path_factory.mktemp("browser"))
    try:
        yield site
    finally:
        site.server.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh tab; every browser test also fails if the page broke its
    Content-Security-Policy (an inline script or style, an eval: refused by the browser)."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    refused: list[str] = []
    tab.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        yield tab
        assert not refused, "refusé par la Content-Security-Policy :\n" + "\n".join(refused)
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            target = ARTIFACTS / "failures" / f"{request.node.name}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(target), full_page=True)
            print(f"  capture d'écran de l'échec : {target}")
        context.close()


def login(page: Page, site: Site, account: tuple[str, str]) -> None:
    """Log in through the form, as a person would (Enter in the password field)."""
    page.goto(f"{site.url}/connexion/")
    page.get_by_label("Identifiant").fill(account[0])
    page.get_by_label("Mot de passe").fill(account[1])
    page.get_by_label("Mot de passe").press("Enter")
    page.wait_for_url(lambda url: "/connexion/" not in url)


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as a test artifact (``artifacts/screenshots/NAME.png``)."""
    target = ARTIFACTS / "screenshots" / f"{name}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=True)
    return target
