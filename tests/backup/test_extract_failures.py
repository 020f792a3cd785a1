"""Whole-session failures: a clear message on the session, nothing half-written."""

import pytest
import redis

from restoration.backup import ExtractionOptions, extract_instance
from restoration.content_types import ContentType
from restoration.looker.instances import InstanceNotConfigured
from restoration.looker.ratelimit import RedisPaceStore
from restoration.models import ContentItem, SessionStatus
from tests.backup.conftest import fast
from tests.fixtures_emulator import write_looker_ini

pytestmark = pytest.mark.django_db


def test_wrong_credentials_fail_the_session_with_a_clear_message(tmp_path, settings, looker_source):
    path = write_looker_ini(tmp_path / "looker.ini", source=looker_source)
    path.write_text(path.read_text().replace(looker_source.client_secret, "wrong-secret"))
    settings.LOOKER_INI = str(path)
    session = extract_instance("source", fast())
    assert session.status == SessionStatus.FAILED
    assert "Could not log in to source" in session.last_error
    assert "check client_id and client_secret" in session.last_error
    assert "wrong-secret" not in session.last_error
    assert not ContentItem.objects.exists()


def test_an_unknown_section_is_refused_before_any_session_exists(source_ini):
    with pytest.raises(InstanceNotConfigured, match="nowhere"):
        extract_instance("nowhere", fast())


def test_an_unreachable_instance_fails_the_session(tmp_path, settings, emulator_factory):
    emulator = emulator_factory(seed=None)
    path = write_looker_ini(tmp_path / "looker.ini", gone=emulator)
    emulator.stop()
    settings.LOOKER_INI = str(path)
    session = extract_instance("gone", fast(max_retries=0))
    assert session.status == SessionStatus.FAILED
    assert "connection" in session.last_error.lower()


def test_options_reject_nonsense():
    with pytest.raises(ValueError, match="workers"):
        ExtractionOptions(workers=0)
    with pytest.raises(ValueError, match="unknown content type"):
        ExtractionOptions(types=[99])


def test_an_instance_limit_in_looker_ini_is_shared_through_redis(
    tmp_path, settings, looker_source, redis_url
):
    # (The database backend needs the worker threads to share the database, which the
    # in-memory test database cannot do; tests/looker covers it on one connection.)
    settings.REDIS_URL = redis_url
    path = write_looker_ini(tmp_path / "looker.ini", source=looker_source)
    path.write_text(path.read_text() + "rate_limit_per_second=500\n")
    settings.LOOKER_INI = str(path)
    session = extract_instance("source", fast(types=[ContentType.BOARD]))
    assert session.status == SessionStatus.COMPLETED
    assert session.error_count == 0
    key = f"{RedisPaceStore.PREFIX}looker:{looker_source.base_url}"
    state = redis.Redis.from_url(redis_url).hgetall(key)
    assert float(state[b"next_at"]) > 0  # every call of the session reserved its slot here
