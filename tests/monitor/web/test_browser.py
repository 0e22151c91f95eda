"""What people see, in a real browser: Debian's Chromium, headless, driven by Playwright.

The pages are served by uvicorn on 127.0.0.1 over a real stored database. These tests fail, never
skip, when the browser is missing: ``make install-test`` installs it (see the Makefile).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from .conftest import ATTACHMENT_WORD, Stored
from .test_pages import DEMO_CCTV

SCREENSHOTS = os.environ.get("FOIWATCH_SCREENSHOTS")


def chromium_path() -> str:
    found = (
        os.environ.get("FOIWATCH_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not found:
        pytest.fail(
            "Chromium is not installed: run `make install-test` (it installs Debian's chromium package)"
        )
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 900}, java_script_enabled=True)
    opened = context.new_page()
    yield opened
    context.close()


def _shot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def test_the_latest_page_shows_the_demos_cctv_responses(page: Page, server: str) -> None:
    page.goto(server + "/")
    heading = page.get_by_role("heading", name="Latest responses: CCTV and surveillance cameras")
    expect(heading).to_be_visible()
    for title in DEMO_CCTV:
        expect(page.get_by_role("link", name=title, exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Firearms and shotgun certificates")).to_have_count(0)
    _shot(page, "latest")


def test_a_search_finds_a_word_that_is_only_in_an_attachment(page: Page, server: str) -> None:
    page.goto(server + "/search")
    page.get_by_label("Words").fill(ATTACHMENT_WORD.lower())
    page.get_by_role("button", name="Search").click()
    result = page.get_by_role("link", name="Equipment register for the custody suites")
    expect(result).to_be_visible()
    expect(page.locator("mark", has_text=ATTACHMENT_WORD)).to_be_visible()
    _shot(page, "search-attachment")
    result.click()
    expect(page.get_by_role("heading", name="Attachments")).to_be_visible()


def test_the_response_page_shows_the_diff_of_two_versions(page: Page, server: str, stored: Stored) -> None:
    page.goto(f"{server}/responses/{stored.ids['01.FOI.26.005390']}")
    expect(page.get_by_role("heading", name="What changed from version 1 to version 2")).to_be_visible()
    expect(page.locator(".diff .del", has_text="Approximately 4000.")).to_be_visible()
    expect(page.locator(".diff .add", has_text="Approximately 4,250.")).to_be_visible()
    _shot(page, "response-diff")
    page.get_by_role("combobox").nth(2).select_option("side")
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("table.side td.add", has_text="Approximately 4,250.")).to_be_visible()
    _shot(page, "response-diff-side")


def test_a_title_holding_a_script_is_shown_as_text_and_runs_nothing(
    page: Page, server: str, stored: Stored
) -> None:
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.on("dialog", lambda dialog: messages.append(f"dialog {dialog.message}") or dialog.dismiss())
    for path in ("/", f"/responses/{stored.ids['01.FOI.26.009002']}", "/search?q=depot"):
        page.goto(server + path)
        expect(
            page.get_by_text("<script>document.title='pwned';window.pwned=1</script>").first
        ).to_be_visible()
        assert page.evaluate("window.pwned") is None
        assert page.title() != "pwned"
    _shot(page, "hostile-title")
    assert not [m for m in messages if m.startswith("dialog")]
