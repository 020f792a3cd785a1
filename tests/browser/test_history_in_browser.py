"""End to end in chromium, on the demo: a dashboard changed three ways (title, a tile, a
filter) between two backups; the diff page shows exactly those three changes, and
"restore the older version" through the launch form brings the dashboard back."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings

from restoration.looker.instances import make_sdk
from tests.browser.conftest import OPERATOR, logged_in_page, requires_chromium
from tests.history.conftest import change_dashboard, dashboard_state

pytestmark = [pytest.mark.browser, pytest.mark.slow, requires_chromium]

FINISHED = "[data-status=completed], [data-status=failed], [data-status=cancelled]"


def demo_prod(app):
    with override_settings(LOOKER_INI=str(app.looker_ini)):
        return make_sdk("demo-prod")


def test_the_diff_shows_the_three_changes_and_the_older_version_comes_back(browser, app):
    sdk = demo_prod(app)
    dash = next(
        d
        for d in (sdk.dashboard(x.id) for x in sdk.all_dashboards(fields="id"))
        if d.dashboard_filters and any(e.title for e in d.dashboard_elements or [])
    )
    before = dashboard_state(sdk, dash.id)
    tile_id, filter_id = change_dashboard(sdk, dash.id)

    page = logged_in_page(browser, app, OPERATOR)
    page.goto("/backup/new")
    page.get_by_label("Looker instance").select_option("demo-prod")
    page.get_by_label("API calls per second").fill("300")
    page.get_by_label("API calls per minute").fill("30000")
    page.get_by_role("button", name="Take the backup").click()
    page.wait_for_url(re.compile(r"/sessions/[0-9a-f-]{36}/$"))
    page.wait_for_selector(FINISHED, timeout=60_000)
    assert page.locator("[data-status]").first.get_attribute("data-status") == "completed"

    page.goto(f"/backup/dashboard/{dash.id}/")
    page.get_by_role("link", name=re.compile(r"^History \(2 versions\)")).click()
    page.get_by_role("button", name="Compare the two chosen versions").click()
    assert page.get_by_test_id("change-count").inner_text() == "3 changes"
    fields = page.get_by_test_id("field-change")
    assert fields.count() == 1 and fields.locator("code").inner_text() == "title"
    parts = page.get_by_test_id("part-change")
    assert parts.count() == 2
    kinds = sorted(parts.nth(i).get_attribute("data-kind") for i in range(2))
    assert kinds == ["filter", "tile"]
    assert page.get_by_text("A tile renamed by mistake", exact=True).is_visible()
    assert page.get_by_text(before[0], exact=True).first.is_visible()

    page.get_by_role("link", name="Restore the older version…").click()
    page.get_by_label("Destination instance").select_option("demo-prod")
    page.get_by_label("API calls per second").fill("300")
    page.get_by_label("API calls per minute").fill("30000")
    page.get_by_label("Dry run: plan and compare, write nothing").set_checked(False)
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_test_id("point-in-time").is_visible()
    page.get_by_role("button", name=re.compile(r"^Restore 1 item into")).click()
    page.wait_for_url(re.compile(r"/sessions/[0-9a-f-]{36}/$"))
    assert page.get_by_test_id("point-in-time").is_visible()
    page.wait_for_selector(FINISHED, timeout=60_000)
    assert page.locator("[data-status]").first.get_attribute("data-status") == "completed"

    assert dashboard_state(sdk, dash.id) == before
    assert before[1][tile_id] and filter_id in before[2]
