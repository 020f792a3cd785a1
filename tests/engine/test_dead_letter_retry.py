"""DeadLetterQuerySet.retry(user): dead letters become a background session of their own."""

import pytest

from restoration.config import RestorationConfig
from restoration.models import AuditEvent, DeadLetterItem, RestorationSession, encode_blob

pytestmark = pytest.mark.django_db


def failed_session(destination: str) -> RestorationSession:
    config = RestorationConfig(destination_instance=f"https://{destination}.example.com", workers=3)
    return RestorationSession.objects.create(
        destination_instance=config.destination_instance,
        source_instance="https://prod.example.com",
        destination_section=destination,
        source_section="prod",
        config=config.model_dump(mode="json"),
        status="completed",
    )


def letter(session: RestorationSession, content_id: str) -> DeadLetterItem:
    return DeadLetterItem.objects.create(
        session=session,
        content_id=content_id,
        content_type=1,
        content_data=encode_blob({"id": content_id}),
        error_message="dashboard: Validation Failed",
        error_type="LookerValidationError",
        retry_count=0,
    )


def test_it_launches_a_retry_session_with_the_original_destination_and_settings(operator):
    origin = failed_session("staging")
    a, b = letter(origin, "1"), letter(origin, "2")
    session = DeadLetterItem.objects.filter(pk__in=[a.pk, b.pk]).retry(operator)
    assert session.kind == "dlq_retry" and session.status == "pending"
    assert session.destination_section == "staging" and session.source_section == "prod"
    assert session.metadata["dead_letter_ids"] == sorted([a.pk, b.pk])
    assert session.restoration_config.workers == 3
    assert session.launched_by == operator
    assert AuditEvent.objects.filter(session=session, action="launch").exists()


def test_dead_letters_of_two_destinations_get_one_session_each():
    first = letter(failed_session("staging"), "1")
    second = letter(failed_session("qa"), "2")
    session = DeadLetterItem.objects.filter(pk__in=[first.pk, second.pk]).retry(None)
    siblings = session.metadata["sibling_sessions"]
    assert len(siblings) == 1
    other = RestorationSession.objects.get(pk=siblings[0])
    assert {session.destination_section, other.destination_section} == {"staging", "qa"}


def test_an_empty_selection_is_refused():
    with pytest.raises(ValueError, match="No dead letters"):
        DeadLetterItem.objects.none().retry(None)


@pytest.mark.django_db(transaction=True)
def test_an_item_that_keeps_failing_keeps_one_dead_letter_whose_counts_grow(
    looker_ini, looker_source, looker_destination
):
    from restoration.content_types import ContentType
    from restoration.engine import run_session
    from restoration.models import ContentItem
    from tests.engine.conftest import fast_config, restore

    ContentItem.objects.create(
        content_type=ContentType.GROUP, content_id="901", name="Broken", content_data=b"\xc1\xff"
    )
    ContentItem.objects.create(
        content_type=ContentType.GROUP,
        content_id="903",
        name="Fine",
        content_data=encode_blob({"id": "903", "name": "Fine"}),
    )
    config = fast_config(looker_source, looker_destination, content_types=[ContentType.GROUP])
    first = restore(config)
    second = restore(config)
    assert first.status == second.status == "completed_with_errors"
    (item,) = DeadLetterItem.objects.all()  # not one per restore
    assert item.content_id == "901" and item.session_id == second.pk
    assert item.failure_count == 2 and item.retry_count == 1
    assert item.metadata["sessions"] == [first.pk, second.pk]

    retry = DeadLetterItem.objects.filter(pk=item.pk).retry(None)
    run_session(retry.pk)
    retry.refresh_from_db()
    assert retry.status == "completed_with_errors"
    (item,) = DeadLetterItem.objects.all()
    assert item.failure_count == 3 and item.retry_count == 2  # the manual retry counts

    # Fixed in the backup, the next restore restores it and its dead letter goes.
    ContentItem.objects.filter(content_id="901").update(
        content_data=encode_blob({"id": "901", "name": "Mended"})
    )
    third = restore(config)
    assert third.status == "completed" and third.error_count == 0
    assert not DeadLetterItem.objects.exists()
