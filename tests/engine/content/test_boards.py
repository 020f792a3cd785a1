"""A restored board ends equal to the backup: sections and items the destination has
and the backup lacks are removed (a dry run lists them), unless extras are kept."""

from __future__ import annotations

import pytest
from looker_sdk.sdk.api40 import models as m

from restoration.content_types import ContentType as CT
from restoration.looker.instances import make_sdk
from tests.engine.conftest import fast_config, restore, take_backup

pytestmark = pytest.mark.django_db(transaction=True)


def test_sections_and_items_the_backup_lacks_are_removed_unless_kept(
    looker_ini, looker_source, looker_destination
):
    src = make_sdk("source")
    board = src.create_board(m.WriteBoard(title="Exact board"))
    section = src.create_board_section(m.WriteBoardSection(board_id=board.id, title="Start"))
    src.create_board_item(
        m.WriteBoardItem(board_section_id=section.id, custom_url="https://example.com/a")
    )
    take_backup("source")
    only = {"content_types": [CT.BOARD], "content_ids": [board.id]}
    first = restore(fast_config(looker_source, looker_destination, **only))
    assert first.error_count == 0, first.last_error

    dst = make_sdk("destination")
    copy = next(b for b in dst.all_boards() if b.title == "Exact board")
    kept_section = copy.board_sections[0]
    extra_item = dst.create_board_item(
        m.WriteBoardItem(board_section_id=kept_section.id, custom_url="https://example.com/b")
    )
    extra_section = dst.create_board_section(m.WriteBoardSection(board_id=copy.id, title="Later"))

    def shown() -> list[tuple[str, list[str]]]:
        return [
            (s.title, sorted(i.custom_url for i in s.board_items or []))
            for s in dst.board(copy.id).board_sections
        ]

    both = [("Start", ["https://example.com/a", "https://example.com/b"]), ("Later", [])]
    restore(fast_config(looker_source, looker_destination, keep_extra=True, **only))
    assert shown() == both

    plan = restore(fast_config(looker_source, looker_destination, dry_run=True, **only))
    (row,) = plan.dry_run_items()
    assert row["action"] == "update"
    assert row["diff"]["would remove"][0] == [
        f"board item {extra_item.id}",
        f"board section {extra_section.id} 'Later'",
    ]
    assert shown() == both

    exact = restore(fast_config(looker_source, looker_destination, **only))
    assert exact.error_count == 0 and exact.updated_count == 1
    assert shown() == [("Start", ["https://example.com/a"])]
