"""End to end in chromium, on the demo: an operator restores demo-prod's backup into
demo-staging and watches it finish live, then works through the dead letters; an
auditor sees all and can act on nothing."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import AUDITOR, OPERATOR, logged_in_page, requires_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow, requires_chromium]


def nav(page, name: str):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


FINISHED = (
    "[data-status=completed], [data-status=completed_with_errors], "
    "[data-status=failed], [data-status=cancelled]"
)


def test_an_operator_restores_watches_it_live_and_clears_the_dead_letters(browser, app):
    # Dashboards titled A-M are refused by the destination, so they become dead letters;
    # a little latency keeps the run long enough to watch.
    app.set_faults(
        "demo-staging",
        latency_ms=8,
        rejections=[{"kind": "dashboard", "field": "title", "pattern": "^[A-M]", "status": 422}],
    )
    page = logged_in_page(browser, app, OPERATOR)
    assert page.get_by_role("status").filter(has_text="Demo").is_visible()

    def fill_launch_form(dry_run: bool) -> None:
        nav(page, "Launch").click()
        page.get_by_label("Destination instance").select_option("demo-staging")
        page.get_by_label("Source instance").select_option("demo-prod")
        page.get_by_label("Workers").fill("4")
        page.get_by_label("API calls per second").fill("300")
        page.get_by_label("API calls per minute").fill("30000")
        page.get_by_label("Dry run: plan and compare, write nothing").set_checked(dry_run)
        page.get_by_role("button", name="Continue").click()

    # First a dry run: it launches at once and ends with its plan on the page.
    fill_launch_form(dry_run=True)
    assert "Dry run into" in page.get_by_role("heading", level=1).inner_text()
    page.wait_for_selector("table.plan", timeout=60_000)
    assert page.get_by_role("link", name=re.compile(r"^Would create \d+")).is_visible()

    fill_launch_form(dry_run=False)

    # A real restore is confirmed first, naming what it touches and where.
    confirm = page.get_by_role("button", name=re.compile(r"^Restore \d+ items into "))
    assert re.fullmatch(
        rf"Restore \d+ items into {app.instance_url('demo-staging')}", confirm.inner_text()
    )
    confirm.click()

    page.wait_for_url(re.compile(r"/sessions/[0-9a-f-]{36}/$"))
    page.evaluate("window.stillTheSamePage = true")
    assert page.locator("#progress [data-status]").get_attribute("data-status") in (
        "pending",
        "running",
    )
    page.wait_for_selector(FINISHED, timeout=60_000)
    assert page.evaluate("window.stillTheSamePage") is True, "the page reloaded"
    # The refused dashboards are dead letters: honest, not a green "Completed".
    status = page.locator("#progress [data-status]")
    assert status.get_attribute("data-status") == "completed_with_errors"
    assert status.inner_text() == "Completed with errors"
    assert page.locator("#overall-bar").get_attribute("value") == "100.0"
    assert page.get_by_test_id("overall-percent").inner_text() == "100.0%"
    assert page.get_by_role("heading", name="Summary").is_visible()

    # The latest errors link to their dead letters; open one.
    page.locator("#progress .errors a").first.click()
    assert page.get_by_role("heading", name="Message").is_visible()
    assert page.get_by_role("heading", name="Retry history").is_visible()

    # Where did a dashboard go? The backup row says, and the mappings page finds it.
    nav(page, "Backup").click()
    page.get_by_role("navigation", name="Content types").get_by_role(
        "link", name=re.compile("^Looks? ")
    ).click()
    page.locator("tbody a").first.click()
    look_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    assert page.get_by_role("heading", name="Restored as").is_visible()
    nav(page, "Mappings").click()
    # Keyset "Load more" appends the next rows in place.
    shown = page.locator("tbody tr").count()
    page.get_by_role("link", name="Load more").click()
    page.wait_for_function(f"document.querySelectorAll('tbody tr').length > {shown}")
    assert page.url.endswith("/mappings/")
    page.get_by_label("Search id").fill(look_id)
    page.get_by_role("button", name="Filter").click()
    link = page.get_by_role("link", name=re.compile("opens in Looker")).first
    assert link.get_attribute("href").startswith(f"{app.instance_url('demo-staging')}/looks/")

    # Fix the cause, then retry one ticked dead letter: it runs as its own session.
    app.set_faults("demo-staging")
    nav(page, "Dead letters").click()
    page.get_by_role("textbox", name="Error type").fill("LookerValidationError")
    page.get_by_role("button", name="Filter").click()
    rows_before = page.locator("input[name=ids]").count()
    assert rows_before >= 2
    page.locator("input[name=ids]").first.check()
    page.get_by_role("button", name="Retry").click()
    page.wait_for_url(re.compile(r"/sessions/[0-9a-f-]{36}/$"))
    assert "Dead-letter retry" in page.get_by_role("heading", level=1).inner_text()
    page.wait_for_selector(FINISHED, timeout=30_000)
    assert page.locator("#progress [data-status]").get_attribute("data-status") == "completed"

    # The retried one left the queue; delete all the others matching the filter.
    page.goto("/dead-letters/?error_type=LookerValidationError")
    assert page.locator("input[name=ids]").count() == rows_before - 1
    page.get_by_label("All matching this filter").check()
    page.get_by_role("button", name="Delete…").click()
    page.get_by_role("button", name=re.compile(rf"^Delete {rows_before - 1} dead letters$")).click()
    assert page.get_by_text(f"Deleted {rows_before - 1} dead letters.").is_visible()
    assert page.get_by_text("No dead letter matches this filter.").is_visible()

    # Who deleted what is on record.
    nav(page, "History").click()
    page.get_by_role("link", name="Audit log").click()
    assert page.get_by_role(
        "cell", name=re.compile("Deleted all dead letters matching")
    ).first.is_visible()
    page.context.close()


def test_an_auditor_sees_everything_but_no_action_buttons(browser, app):
    page = logged_in_page(browser, app, AUDITOR)
    assert page.get_by_text("read-only").is_visible()
    nav(page, "Launch").click()
    assert page.get_by_role("button", name="Continue").count() == 0
    nav(page, "Dead letters").click()
    assert page.get_by_role("button", name="Retry").count() == 0
    assert page.get_by_role("button", name="Delete…").count() == 0
    page.context.close()
