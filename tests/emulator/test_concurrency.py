"""Many client threads at once, as the restore engine runs them."""

from concurrent.futures import ThreadPoolExecutor

from looker_sdk.sdk.api40 import models as m

from tests.emulator.sdk_client import sdk_for


def test_32_threads_create_dashboards_without_losing_or_doubling_any(looker_destination):
    def create(n: int) -> str:
        sdk = sdk_for(looker_destination)  # one client per thread, like the engine
        folder = sdk.create_folder(m.CreateFolder(name=f"F{n}", parent_id="1"))
        return sdk.create_dashboard(m.WriteDashboard(title=f"D{n}", folder_id=folder.id)).id

    with ThreadPoolExecutor(max_workers=32) as pool:
        ids = list(pool.map(create, range(32)))
    assert len(set(ids)) == 32
    counters = looker_destination.counters()
    assert counters["creates"]["dashboard"] == 32
    assert counters["calls"]["POST /api/4.0/login"] == 32


def test_concurrent_duplicate_titles_create_exactly_one(looker_destination):
    def create(_: int) -> bool:
        try:
            sdk_for(looker_destination).create_dashboard(
                m.WriteDashboard(title="Same", folder_id="1")
            )
            return True
        except Exception:
            return False

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(create, range(16)))
    assert results.count(True) == 1
