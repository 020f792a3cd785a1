"""Restored users arrive with their email credential (and nothing else), are matched by
email on a re-run, and a deleted user comes back with its email."""

from __future__ import annotations

import pytest
from looker_sdk.sdk.api40 import models as m

from restoration.content_types import ContentType as CT
from restoration.looker.instances import make_sdk
from restoration.models import IDMapping
from tests.engine.conftest import fast_config, restore

pytestmark = pytest.mark.django_db(transaction=True)


def emails(sdk) -> dict[str, str]:
    return {u.id: (u.email or "") for u in sdk.all_users()}


def test_users_migrate_with_their_email_and_a_rerun_creates_none(
    backup, looker_source, looker_destination
):
    source_emails = {e.lower() for e in emails(make_sdk("source")).values() if e}
    dest = make_sdk("destination")
    # One of them already exists on the destination, under another capitalisation.
    taken = sorted(source_emails)[0]
    existing = dest.create_user(m.WriteUser(first_name="Already", last_name="There"))
    dest.create_user_credentials_email(existing.id, m.WriteCredentialsEmail(email=taken.upper()))

    session = restore(fast_config(looker_source, looker_destination, content_types=[CT.USER]))
    assert session.status == "completed", session.last_error

    by_email = {e.lower(): uid for uid, e in emails(dest).items() if e}
    assert source_emails <= set(by_email)
    assert by_email[taken] == existing.id  # matched, not duplicated
    assert len([e for e in emails(dest).values() if e.lower() == taken]) == 1
    for uid in by_email.values():
        creds = dest.user(uid).credentials_email
        assert not creds.forced_password_reset_at_next_login
        assert dest.user(uid).credentials_api3 in (None, [])

    # A crash between the create and the mappings is harmless: with the mappings gone,
    # every user is found again by its email.
    IDMapping.objects.all().delete()
    looker_destination.reset_counters()
    again = restore(fast_config(looker_source, looker_destination, content_types=[CT.USER]))
    assert again.status == "completed", again.last_error
    assert looker_destination.counters()["creates"].get("user", 0) == 0
    assert looker_destination.counters()["creates"].get("credentials_email", 0) == 0


def test_a_deleted_user_comes_back_with_its_email(backup, looker_source):
    sdk = make_sdk("source")
    me = sdk.me().id
    victim = next(u for u in sdk.all_users() if u.email and u.id != me)
    sdk.delete_user(victim.id)

    session = restore(
        fast_config(looker_source, looker_source, content_types=[CT.USER]),
        destination="source",
        source="source",
    )
    assert session.status == "completed", session.last_error
    back = [u for u in sdk.all_users() if (u.email or "").lower() == victim.email.lower()]
    assert len(back) == 1
    assert (back[0].first_name, back[0].last_name) == (victim.first_name, victim.last_name)
