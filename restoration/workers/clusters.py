"""Whether a django-q2 cluster is alive, read from the cache every process shares: the
one answer for /healthz, the home page and the commands that run a session here when no
cluster would pick it up.

A cluster's sentinel writes its Stat to the cache about twice a second with a
3-second expiry, so a cluster that died drops out of the cache within seconds.
"""

from typing import Any

from django.utils import timezone
from django_q.conf import Conf
from django_q.status import Stat

# A report older than this is a cluster that stopped beating, even if the cache kept it.
STALE_AFTER_SECONDS = 30
# Starting, Stopping and Stopped clusters report too, but do not take tasks.
SERVING = {str(Conf.IDLE), str(Conf.WORKING)}


def cluster_health() -> dict[str, Any]:
    """{"ok": a cluster is serving, "alive": how many, "clusters": one dict per report}."""
    now = timezone.now()
    clusters = []
    for stat in Stat.get_all():
        # Another machine's clock may run slightly ahead: a report is never from the future.
        age = max((now - stat.timestamp).total_seconds(), 0.0) if stat.timestamp else None
        clusters.append(
            {
                "id": str(stat.cluster_id),
                "host": stat.host,
                "status": str(stat.status),
                "workers": len(stat.workers),
                "seconds_since_report": round(age, 1) if age is not None else None,
            }
        )
    alive = [
        c
        for c in clusters
        if c["seconds_since_report"] is not None
        and c["seconds_since_report"] < STALE_AFTER_SECONDS
        and c["status"] in SERVING
    ]
    return {"ok": bool(alive), "alive": len(alive), "clusters": clusters}


def cluster_alive() -> bool:
    """Is a cluster serving tasks now? False when the cache cannot be read either."""
    try:
        return cluster_health()["ok"]
    except Exception:  # noqa: BLE001 - no cache, no broker: no cluster to hand work to
        return False
