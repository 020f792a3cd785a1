"""Checkpoint progress: an offset plus the ids done beyond it, never a growing list."""

import json

from restoration.engine.checkpoints import TypeProgress


def test_out_of_order_completions_fold_into_the_offset():
    progress = TypeProgress()
    progress.mark_done(1, "b")
    progress.mark_done(2, "c")
    assert progress.data() == {"last_offset": 0, "completed_ids": ["b", "c"]}
    progress.mark_done(0, "a")
    assert progress.data() == {"last_offset": 3, "completed_ids": []}


def test_a_resumed_checkpoint_skips_what_was_done():
    saved = {"last_offset": 2, "completed_ids": ["e"]}
    progress = TypeProgress.from_data(saved)
    assert progress.is_done(0, "a") and progress.is_done(1, "b")
    assert not progress.is_done(2, "c")
    assert progress.is_done(4, "e")
    progress.mark_done(2, "c")
    progress.mark_done(3, "d")
    progress.mark_done(4, "e")
    assert progress.data() == {"last_offset": 5, "completed_ids": []}


def test_checkpoint_size_stays_bounded_on_a_long_session():
    progress = TypeProgress()
    sizes = []
    window = 32
    # Workers finish items up to `window` positions out of order: each block backwards.
    order = [b + (window - 1 - k) for b in range(0, 100_000, window) for k in range(window)]
    for n, offset in enumerate(order):
        progress.mark_done(offset, f"id{offset}")
        if n % 10_000 == 5:
            sizes.append(len(json.dumps(progress.data())))
    assert max(sizes) < 2_000
    assert progress.data() == {"last_offset": 100_000, "completed_ids": []}
