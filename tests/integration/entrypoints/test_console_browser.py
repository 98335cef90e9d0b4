"""The operator console in a real headless browser: Debian's chromium driven by Selenium
through chromedriver, with JavaScript off (the pages are plain HTML), clicking through it as
an operator does. A screenshot of each page is kept under SXP_TEST_ARTIFACTS (default
.sxp/test-artifacts/console/)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sxp.bootstrap import App
from sxp.config import repo_root
from sxp.entrypoints.demo import sample_files
from sxp.entrypoints.keys import create_key
from sxp.pipeline.run import run_pipeline
from sxp.pipeline.status import collect_status

from .api_server import serving

INSTALL = ("the console's browser tests need Debian's chromium and its chromedriver: "
           "`apt-get install chromium chromium-driver` (make test does it when run as root "
           "on Debian or Ubuntu)")


def _browser_paths() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.fail(INSTALL)
    return chromium, driver


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = _browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                 "--disable-gpu", "--window-size=1280,1000", "--no-first-run",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs", {"profile.managed_default_content_settings.javascript": 2})
    chrome = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    try:
        yield chrome
    finally:
        chrome.quit()


@pytest.fixture
def shots() -> Path:
    folder = Path(os.environ.get("SXP_TEST_ARTIFACTS", repo_root() / ".sxp/test-artifacts")) \
        / "console"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def served(app: App) -> Iterator[str]:
    for path in sample_files():
        app.store.put_bytes(f"{app.settings.inbox_prefix}console/{path.name}", path.read_bytes())
    app.store.put_bytes(f"{app.settings.inbox_prefix}console/wrong_header.csv",
                        b"name,city\nAda,Paris\n")
    run_pipeline(app)
    with serving(app) as url:
        yield url


def _click(browser: Any, by: str, value: str) -> None:
    """Click what loads a new page, and wait until the old one is gone."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    page = browser.find_element("tag name", "html")
    browser.find_element(by, value).click()
    WebDriverWait(browser, 10).until(expected_conditions.staleness_of(page))


def _cells(browser: Any, table_id: str) -> list[list[str]]:
    from selenium.webdriver.common.by import By

    rows = browser.find_elements(By.CSS_SELECTOR, f"table#{table_id} tr")
    return [[c.text for c in r.find_elements(By.CSS_SELECTOR, "td")] for r in rows[1:]]


def test_an_operator_signs_in_and_clicks_through_every_page(
        app: App, served: str, browser: Any, shots: Path) -> None:
    from selenium.webdriver.common.by import By

    reader = create_key(app, "console-reader", ["imports:read"])
    writer_only = create_key(app, "console-writer", ["imports:write"])
    status = collect_status(app)

    browser.get(f"{served}/console")
    assert browser.current_url.endswith("/console/login")
    browser.save_screenshot(str(shots / "01-login.png"))
    for token, message in (("sxp_nope_nope", "not a valid key"),
                           (writer_only, "lacks the 'imports:read' scope")):
        browser.find_element(By.ID, "token").send_keys(token)
        _click(browser, By.CSS_SELECTOR, "form button")
        assert message in browser.find_element(By.CSS_SELECTOR, "[role=alert]").text
    browser.save_screenshot(str(shots / "02-login-refused.png"))
    browser.find_element(By.ID, "token").send_keys(reader)
    _click(browser, By.CSS_SELECTOR, "form button")
    assert browser.current_url.endswith("/console")
    (cookie,) = [c for c in browser.get_cookies() if c["name"] == "sxp_console"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"

    assert "Pipeline status" in browser.find_element(By.TAG_NAME, "h1").text
    labels = {row[0]: int(row[1].replace(",", "")) for row in _cells(browser, "labels")}
    assert labels == status["cards_by_execution_label"]
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg rect")) >= 14 * 3
    browser.save_screenshot(str(shots / "03-status.png"))

    _click(browser, By.LINK_TEXT, "files")
    files = _cells(browser, "files")
    assert len(files) == len(sample_files()) + 1
    failed = [row for row in files if row[2] == "failed"]
    assert len(failed) == 1 and "unknown_columns" in failed[0][8]
    assert "'name', 'city'" in failed[0][8]
    browser.save_screenshot(str(shots / "04-files.png"))
    _click(browser, By.LINK_TEXT, "failed only")
    assert len(_cells(browser, "files")) == 1

    _click(browser, By.LINK_TEXT, "all files")
    rejected = next(row for row in files if row[2] == "ingested" and row[7] != "0")
    _click(browser, By.LINK_TEXT, rejected[0])
    reasons = _cells(browser, "rejects")
    assert sum(int(r[1].replace(",", "")) for r in reasons) == int(rejected[7])
    assert "@" not in browser.find_element(By.ID, "rejects").text  # contacts masked
    browser.save_screenshot(str(shots / "05-rejects.png"))

    _click(browser, By.LINK_TEXT, "jobs")
    counts = {row[0]: row[1:] for row in _cells(browser, "job-counts")}
    assert set(counts) == set(status["jobs"])
    _click(browser, By.LINK_TEXT, "dead")
    assert "no jobs in state dead" in browser.find_element(By.ID, "jobs").text
    browser.save_screenshot(str(shots / "06-jobs.png"))

    _click(browser, By.LINK_TEXT, "providers")
    budgets = {row[0]: row for row in _cells(browser, "budgets")}
    spent = status["budgets"]["skiptrace"]["spent"]
    assert int(budgets["skiptrace"][2].replace(",", "")) == spent > 0
    browser.save_screenshot(str(shots / "07-providers.png"))

    _click(browser, By.LINK_TEXT, "consumers")
    (default,) = [row for row in _cells(browser, "consumers") if row[0] == "default"]
    assert default[2] == "active" and "delivered=1" in default[4]
    (batch,) = _cells(browser, "batches")
    assert int(batch[3].replace(",", "")) == status["tiers"]["exported_cards"]
    browser.save_screenshot(str(shots / "08-consumers.png"))

    _click(browser, By.CSS_SELECTOR, "header form button")
    assert browser.current_url.endswith("/console/login")
    browser.get(f"{served}/console/files")
    assert browser.current_url.endswith("/console/login")  # signed out means signed out
