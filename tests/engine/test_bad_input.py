"""Bad backups and bad destinations: a clear message per item or per session, and the
session and its finished work survive."""

import msgspec
import pytest

from restoration.config import RestorationConfig
from restoration.content_types import ContentType
from restoration.models import ContentItem, DeadLetterItem, IDMapping, encode_blob
from tests.engine.conftest import fast_config, restore
from tests.fixtures_emulator import write_looker_ini

pytestmark = pytest.mark.django_db(transaction=True)


def test_undecodable_and_misshapen_blobs_fail_alone_with_a_clear_message(
    looker_ini, looker_source, looker_destination
):
    ContentItem.objects.create(
        content_type=ContentType.GROUP, content_id="901", name="Broken", content_data=b"\xc1\xff"
    )
    ContentItem.objects.create(
        content_type=ContentType.GROUP,
        content_id="902",
        name="A list",
        content_data=msgspec.msgpack.encode([1, 2]),
    )
    ContentItem.objects.create(
        content_type=ContentType.GROUP,
        content_id="903",
        name="Fine",
        content_data=encode_blob({"id": "903", "name": "Fine"}),
    )
    session = restore(fast_config(looker_source, looker_destination))
    assert session.status == "completed_with_errors"
    assert session.created_count == 1 and session.error_count == 2
    letters = {d.content_id: d for d in DeadLetterItem.objects.all()}
    assert letters["901"].error_type == "BlobDecodeError"
    assert "not valid MessagePack" in letters["901"].error_message
    assert "not a Looker object" in letters["902"].error_message
    assert bytes(letters["901"].content_data) == b"\xc1\xff"  # the blob is kept for later


def test_unknown_ids_in_the_filter_are_reported_on_the_session(
    looker_ini, looker_source, looker_destination
):
    ContentItem.objects.create(
        content_type=ContentType.GROUP,
        content_id="7",
        name="Known",
        content_data=encode_blob({"id": "7", "name": "Known"}),
    )
    session = restore(fast_config(looker_source, looker_destination, content_ids=["7", "404"]))
    assert session.status == "completed"
    assert session.metadata["plan"]["unknown_ids"] == ["404"]
    assert session.created_count == 1


def test_wrong_credentials_fail_the_session_with_a_message_and_keep_it_resumable(
    looker_source, looker_destination, tmp_path, settings
):
    path = write_looker_ini(tmp_path / "looker.ini", destination=looker_destination)
    path.write_text(path.read_text().replace(looker_destination.client_secret, "wrong-secret"))
    settings.LOOKER_INI = str(path)
    session = restore(fast_config(looker_source, looker_destination), source="")
    assert session.status == "failed"
    assert "Cannot log in to destination 'destination'" in session.last_error
    assert "wrong-secret" not in session.last_error
    assert session.is_resumable


def test_an_unreachable_destination_fails_the_session_with_a_message(
    transactional_db, tmp_path, settings
):
    path = tmp_path / "looker.ini"
    path.write_text(
        "[destination]\nbase_url=http://127.0.0.1:9\nclient_id=a\nclient_secret=b\ntimeout=2\n"
    )
    settings.LOOKER_INI = str(path)
    config = RestorationConfig(
        destination_instance="http://127.0.0.1:9", max_retries=0, rate_limit_per_second=100
    )
    session = restore(config, source="")
    assert session.status == "failed"
    assert "destination 'destination'" in session.last_error
    assert not IDMapping.objects.exists()


def test_a_missing_destination_section_is_named(transactional_db, looker_ini):
    config = RestorationConfig(destination_instance="http://nowhere.invalid")
    session = restore(config, destination="prod", source="")
    assert session.status == "failed"
    assert "prod" in session.last_error
