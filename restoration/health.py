"""Whether a django-q2 cluster is alive, read from the cache every process shares."""

from typing import Any

from django.utils import timezone
from django_q.status import Stat

# A cluster's sentinel refreshes its Stat every few seconds (guard cycle).
STALE_AFTER_SECONDS = 30


def cluster_health() -> dict[str, Any]:
    now = timezone.now()
    clusters = []
    for stat in Stat.get_all():
        age = (now - stat.timestamp).total_seconds() if stat.timestamp else None
        clusters.append(
            {
                "id": str(stat.cluster_id),
                "host": stat.host,
                "status": stat.status,
                "workers": len(stat.workers),
                "seconds_since_report": round(age, 1) if age is not None else None,
            }
        )
    alive = [
        c
        for c in clusters
        if c["seconds_since_report"] is not None and c["seconds_since_report"] < STALE_AFTER_SECONDS
    ]
    return {"ok": bool(alive), "clusters": clusters, "alive": len(alive)}
