"""Looker failing under the restore: transient errors are retried to success, validation
errors end in the dead-letter queue with everything needed to understand and retry them."""

import pytest

from restoration.content_types import ContentType
from restoration.engine import run_session
from restoration.looker.calls import LookerCaller
from restoration.looker.instances import make_sdk
from restoration.models import ContentItem, DeadLetterItem, RestorationSession
from tests.engine.conftest import fast_config, restore
from tests.fixtures_emulator import LOOKER_INI_TIMEOUT, write_looker_ini

pytestmark = pytest.mark.django_db(transaction=True)


def test_thirty_percent_transient_failures_still_restore_everything_once(
    backup, looker_source, looker_destination, emulator_factory, tmp_path, settings
):
    clean = emulator_factory(seed=None)
    settings.LOOKER_INI = str(
        write_looker_ini(
            tmp_path / "both.ini", source=looker_source, destination=looker_destination, clean=clean
        )
    )
    baseline = restore(fast_config(looker_source, clean), destination="clean")
    looker_destination.set_faults(error_rate=0.3, error_statuses=[500, 502, 503, 429])
    session = restore(fast_config(looker_source, looker_destination, max_retries=10))
    looker_destination.set_faults(clear=True)

    assert session.status == baseline.status == "completed", session.last_error
    assert session.error_count == baseline.error_count
    assert session.success_count + session.skipped_count == (
        baseline.success_count + baseline.skipped_count
    )
    # Exactly once: the same objects were created as in the run without faults.
    assert looker_destination.counters()["creates"] == clean.counters()["creates"]
    assert session.api_calls > baseline.api_calls  # the retries went through the caller


def test_a_persistent_validation_error_goes_to_the_dead_letter_queue_with_its_context(
    backup, looker_source, looker_destination
):
    looker_destination.set_faults(
        rejections=[{"kind": "dashboard", "field": "title", "pattern": "Revenue", "status": 422}]
    )
    session = restore(fast_config(looker_source, looker_destination))
    assert session.status == "completed_with_errors"
    letters = list(DeadLetterItem.objects.filter(content_type=ContentType.DASHBOARD))
    rejected = [d for d in letters if d.error_type == "LookerValidationError"]
    assert rejected, [d.error_message for d in letters]
    letter = rejected[0]
    assert "Revenue" in letter.metadata["request_payload"]["title"]
    assert letter.metadata["response_status"] == 422
    assert letter.metadata["response_body"]["message"]
    assert len(letter.metadata["retry_history"]) == 1  # 422 is never retried
    assert letter.retry_count == 0
    assert "LookerCallFailed" in letter.stack_trace
    assert letter.decoded()["title"] == letter.metadata["request_payload"]["title"]
    assert session.error_count == DeadLetterItem.objects.filter(session=session).count()

    # Retrying while Looker still refuses updates the dead letter in place.
    first_failed_at = letter.failed_at
    retry = DeadLetterItem.objects.filter(pk=letter.pk).retry(None)
    assert retry.kind == "dlq_retry"
    run_session(retry.pk)
    letter.refresh_from_db()
    assert letter.failed_at > first_failed_at
    assert RestorationSession.objects.get(pk=retry.pk).error_count == 1

    # Once Looker accepts it, the retry restores it and the dead letter is gone.
    looker_destination.set_faults(clear=True)
    retry = DeadLetterItem.objects.filter(error_type="LookerValidationError").retry(None)
    run_session(retry.pk)
    retry.refresh_from_db()
    assert retry.status == "completed"
    assert retry.created_count == len(rejected)
    assert not DeadLetterItem.objects.filter(error_type="LookerValidationError").exists()
    titles = {d.title for d in make_sdk("destination").all_dashboards()}
    assert all(d.decoded()["title"] in titles for d in rejected)


def test_a_group_create_whose_answer_is_lost_is_found_not_created_again(
    backup, looker_source, looker_destination, tmp_path, settings, monkeypatch
):
    # Looker applies each group create 1.5 s after it arrives; the client gives up after
    # 1 s (looker.ini timeout), waits 1 s and checks before retrying: the group is there.
    ini = write_looker_ini(
        tmp_path / "slow.ini", source=looker_source, destination=looker_destination
    )
    ini.write_text(ini.read_text().replace(f"timeout={LOOKER_INI_TIMEOUT}", "timeout=1"))
    settings.LOOKER_INI = str(ini)
    # A fixed wait instead of full jitter, so the check comes after the create landed.
    monkeypatch.setattr(LookerCaller, "backoff_delay", lambda self, attempt, retry_after: 1.0)
    looker_destination.set_faults(
        route_pattern=r"^POST /api/4\.0/groups$", hang_rate=1.0, hang_seconds=1.5
    )
    session = restore(
        fast_config(looker_source, looker_destination, content_types=[ContentType.GROUP])
    )
    looker_destination.set_faults(clear=True)

    assert session.status == "completed", session.last_error
    # "All Users" is mapped to the destination's own, never created.
    groups = ContentItem.objects.of_type(ContentType.GROUP).active().count() - 1
    assert groups > 0
    assert session.created_count == groups
    assert not DeadLetterItem.objects.exists()
    assert looker_destination.counters()["creates"]["group"] == groups  # no duplicates
    restored = sorted(g.name for g in make_sdk("destination").all_groups())
    backed_up = sorted(
        ContentItem.objects.of_type(ContentType.GROUP).active().values_list("name", flat=True)
    )
    assert restored == backed_up
