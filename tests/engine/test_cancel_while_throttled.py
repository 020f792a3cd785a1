"""A cancel is honoured within seconds even while the session waits for its rate limit
(a spent per-minute budget would otherwise hold every worker for up to a minute)."""

import time

import pytest

from restoration.content_types import ContentType
from restoration.engine import run_session
from restoration.engine.restorer import Restorer
from restoration.models import DeadLetterItem, RestorationSession
from tests.engine.conftest import fast_config

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_cancel_ends_the_wait_for_a_spent_per_minute_budget(
    backup, looker_source, looker_destination, monkeypatch
):
    session = RestorationSession.objects.launch(
        fast_config(
            looker_source,
            looker_destination,
            workers=4,
            rate_limit_per_second=100,
            rate_limit_per_minute=8,  # spent by the login, the prefetch and a few users
            content_types=[ContentType.USER],
        ),
        destination_section="destination",
        source_section="source",
    )
    restore_item = Restorer.restore
    seen = {"at": None}

    def restore_and_cancel(self, entry, blob):
        if seen["at"] is None:
            with self.db_lock:
                assert RestorationSession.objects.get(pk=session.pk).request_cancel()
            seen["at"] = time.monotonic()
        return restore_item(self, entry, blob)

    monkeypatch.setattr(Restorer, "restore", restore_and_cancel)
    run_session(session.pk)
    stopped_after = time.monotonic() - seen["at"]
    session.refresh_from_db()
    assert session.status == "cancelled", session.last_error
    # Within seconds, not when the minute's budget comes back (~60 s).
    assert stopped_after < 5, stopped_after
    planned = session.planned_items
    assert session.total_items < planned
    # An item abandoned in the wait did not fail: it is simply not done yet.
    assert session.error_count == 0
    assert not DeadLetterItem.objects.filter(session=session).exists()
