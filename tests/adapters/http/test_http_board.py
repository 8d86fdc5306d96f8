"""The live board in a real headless Chromium driven by Selenium: a heartbeat elsewhere shows within 2 s."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.adapters.http.conftest import ALICE, BOB, DOC, Api, shown

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
APPEARS_WITHIN_S = 2.0
T = TypeVar("T")


def require_chromium() -> None:
    """Never skipped in CI: there a missing browser is a failure (.ci/run installs it)."""
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        message = f"{CHROMIUM} and {CHROMEDRIVER} are needed (apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(message + "; the board test must run in CI")
        pytest.skip(message)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    require_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}", "--window-size=900,700"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


async def run(call: Callable[..., T], *args: Any) -> T:
    """A blocking Selenium call, off the event loop that serves the page."""
    return await asyncio.to_thread(call, *args)


def person_text(driver: WebDriver, user_id: str) -> str:
    found = driver.find_elements(By.CSS_SELECTOR, f'li.person[data-user-id="{user_id}"]')
    return found[0].text if found else ""


async def wait_for(driver: WebDriver, seconds: float, condition: Callable[[WebDriver], object]) -> None:
    await run(WebDriverWait(driver, seconds, poll_frequency=0.05).until, condition)


@pytest.fixture
async def opened(api: Api, browser: WebDriver) -> AsyncIterator[tuple[Api, WebDriver, str]]:
    """The board of DOC, opened and given Alice's token the way a person would."""
    token = await api.token(ALICE, user_name="Alice")
    await run(browser.get, f"http://127.0.0.1:{api.port}/rooms/{DOC}")
    await wait_for(browser, 10, lambda d: d.find_element(By.ID, "login").is_displayed())
    await run(browser.find_element(By.ID, "token").send_keys, token + "\n")
    await wait_for(browser, 10, lambda d: d.find_element(By.ID, "state").text == "Live")
    yield api, browser, token


async def test_a_heartbeat_from_another_client_appears_within_two_seconds(opened: tuple[Api, WebDriver, str],
                                                                          tmp_path: Path) -> None:
    api, browser, token = opened
    await wait_for(browser, 10, lambda d: "Alice" in person_text(d, shown(DOC, ALICE)))
    assert token not in browser.current_url
    assert browser.execute_script("return sessionStorage.getItem('presence-token')") == token

    bob = await api.token(BOB, user_name="Bob")
    await api.call("PUT", "/v1/me/custom-status", bob, json={"text": "reviewing <b>PR</b>"})
    response = await api.heartbeat(bob, channel_id=DOC, location={"line": 42})
    assert response.status_code == 200
    await wait_for(browser, APPEARS_WITHIN_S, lambda d: '{"line":42}' in person_text(d, shown(DOC, BOB)))
    bob_line = person_text(browser, shown(DOC, BOB))
    assert "Bob" in bob_line and "online" in bob_line and "reviewing <b>PR</b>" in bob_line, "user text is shown as text"

    screenshot = tmp_path / "board.png"
    assert await run(browser.save_screenshot, str(screenshot))
    assert screenshot.stat().st_size > 1000

    await api.call("DELETE", f"/v1/rooms/{DOC}/presence", bob)
    await wait_for(browser, APPEARS_WITHIN_S, lambda d: person_text(d, shown(DOC, BOB)) == "")


async def test_the_token_is_asked_for_once_and_again_only_when_revoked(opened: tuple[Api, WebDriver, str]) -> None:
    api, browser, _ = opened
    await run(browser.refresh)
    await wait_for(browser, 10, lambda d: d.find_element(By.ID, "state").text == "Live")
    assert not browser.find_element(By.ID, "login").is_displayed()
    await api.service.revoke_token(ALICE, "laptop")
    await wait_for(browser, 10, lambda d: d.find_element(By.ID, "login").is_displayed())
    assert "revoked" in browser.find_element(By.ID, "state").text
    assert browser.execute_script("return sessionStorage.getItem('presence-token')") is None
