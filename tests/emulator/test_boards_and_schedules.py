"""Boards with sections and items, and scheduled plans with destinations."""

import pytest
from looker_sdk import error
from looker_sdk.sdk.api40 import models as m


@pytest.fixture
def dashboard(sdk):
    return sdk.create_dashboard(m.WriteDashboard(title="Sales", folder_id="1"))


def test_a_board_holds_sections_that_hold_items(sdk, dashboard):
    board = sdk.create_board(m.WriteBoard(title="Start here"))
    section = sdk.create_board_section(m.WriteBoardSection(board_id=board.id, title="Top"))
    item = sdk.create_board_item(
        m.WriteBoardItem(board_section_id=section.id, dashboard_id=dashboard.id)
    )
    again = sdk.board(board.id)
    assert again.section_order == [section.id]
    assert again.board_sections[0].item_order == [item.id]
    assert again.board_sections[0].board_items[0].title == "Sales"
    assert [i.id for i in sdk.all_board_items(board_section_id=section.id)] == [item.id]


def test_board_items_need_an_existing_section_and_target(sdk, dashboard):
    board = sdk.create_board(m.WriteBoard(title="B"))
    section = sdk.create_board_section(m.WriteBoardSection(board_id=board.id))
    with pytest.raises(error.SDKError) as exc:
        sdk.create_board_item(m.WriteBoardItem(board_section_id="99", dashboard_id=dashboard.id))
    assert exc.value.errors[0].field == "board_section_id"
    with pytest.raises(error.SDKError) as exc:
        sdk.create_board_item(m.WriteBoardItem(board_section_id=section.id, look_id="404"))
    assert (exc.value.errors[0].field, exc.value.errors[0].code) == ("look_id", "missing")


def test_deleting_a_board_deletes_sections_and_items(sdk, dashboard, looker_destination):
    board = sdk.create_board(m.WriteBoard(title="B"))
    section = sdk.create_board_section(m.WriteBoardSection(board_id=board.id))
    sdk.create_board_item(m.WriteBoardItem(board_section_id=section.id, dashboard_id=dashboard.id))
    sdk.delete_board(board.id)
    assert sdk.all_board_sections() == [] and looker_destination.store.all("board_item") == []


def test_section_and_item_updates(sdk, dashboard):
    board = sdk.create_board(m.WriteBoard(title="B"))
    section = sdk.create_board_section(m.WriteBoardSection(board_id=board.id))
    item = sdk.create_board_item(
        m.WriteBoardItem(board_section_id=section.id, dashboard_id=dashboard.id)
    )
    sdk.update_board_section(section.id, m.WriteBoardSection(title="Renamed"))
    sdk.update_board_item(item.id, m.WriteBoardItem(custom_title="Mine", use_custom_title=True))
    assert sdk.board_item(item.id).custom_title == "Mine"
    sdk.delete_board_item(item.id)
    assert sdk.board_section(section.id).item_order == []
    sdk.delete_board_section(section.id)
    assert sdk.board(board.id).section_order == []


def _plan(**kw):
    body = {
        "name": "Daily sales",
        "crontab": "0 6 * * *",
        "scheduled_plan_destination": [
            m.ScheduledPlanDestination(type="email", format="wysiwyg_pdf", address="a@example.com")
        ],
    }
    return m.WriteScheduledPlan(**{**body, **kw})


def test_a_plan_gets_destination_ids_and_is_listed_for_its_dashboard(sdk, dashboard):
    plan = sdk.create_scheduled_plan(_plan(dashboard_id=dashboard.id))
    assert plan.scheduled_plan_destination[0].id and plan.user.id == "1"
    assert plan.title == "Sales"
    assert [p.id for p in sdk.scheduled_plans_for_dashboard(dashboard.id)] == [plan.id]
    assert [p.id for p in sdk.all_scheduled_plans()] == [plan.id]


def test_a_plan_needs_name_target_schedule_and_destination(sdk, dashboard):
    with pytest.raises(error.SDKError) as exc:
        sdk.create_scheduled_plan(m.WriteScheduledPlan(dashboard_id=dashboard.id))
    fields = {e.field for e in exc.value.errors}
    assert {"name", "crontab", "scheduled_plan_destination"} <= fields


def test_a_plan_for_a_missing_look_is_refused(sdk):
    with pytest.raises(error.SDKError) as exc:
        sdk.create_scheduled_plan(
            _plan(
                look_id="123",
                require_results=True,
                require_no_results=False,
                require_change=False,
                scheduled_plan_destination=[
                    m.ScheduledPlanDestination(type="email", format="csv", address="a@example.com")
                ],
            )
        )
    assert (exc.value.errors[0].field, exc.value.errors[0].code) == ("look_id", "missing")


def test_plans_are_listed_per_user_unless_all_users(demo_sdk):
    own = demo_sdk.all_scheduled_plans()
    everyone = demo_sdk.all_scheduled_plans(all_users=True)
    assert own and len(everyone) > len(own)
    assert all(p.user_id == "1" for p in own)


def test_plans_update_and_delete(sdk, dashboard):
    plan = sdk.create_scheduled_plan(_plan(dashboard_id=dashboard.id))
    sdk.update_scheduled_plan(plan.id, m.WriteScheduledPlan(crontab="0 7 * * *"))
    assert sdk.scheduled_plan(plan.id).crontab == "0 7 * * *"
    sdk.delete_scheduled_plan(plan.id)
    assert sdk.all_scheduled_plans(all_users=True) == []


def test_a_new_board_cannot_order_sections_it_does_not_have(sdk):
    with pytest.raises(error.SDKError) as exc:
        sdk.create_board(m.WriteBoard(title="Copied", section_order=["17", "18"]))
    assert exc.value.errors[0].field == "section_order"


def test_section_order_can_be_rearranged_with_the_boards_own_sections(sdk):
    board = sdk.create_board(m.WriteBoard(title="B"))
    first = sdk.create_board_section(m.WriteBoardSection(board_id=board.id))
    second = sdk.create_board_section(m.WriteBoardSection(board_id=board.id))
    updated = sdk.update_board(board.id, m.WriteBoard(section_order=[second.id, first.id]))
    assert updated.section_order == [second.id, first.id]
