"""Pages of the restoration app: one module per page family; healthz lives here."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from restoration.workers.clusters import cluster_health


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Database reachable and task cluster alive, for load balancers and monitors.

    The status is 503 only when the database is unreachable: the web pages still
    work without a cluster, so `cluster.ok` is reported for monitors to alert on
    rather than used to take the web server out of a load balancer.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = {"ok": True}
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        database = {"ok": False, "error": type(exc).__name__}
    try:
        cluster = cluster_health()
    except Exception as exc:  # noqa: BLE001 - an unreachable cache hides the cluster
        cluster = {"ok": False, "alive": 0, "clusters": [], "error": type(exc).__name__}
    status = 200 if database["ok"] else 503
    return JsonResponse(
        {"ok": database["ok"], "database": database, "cluster": cluster}, status=status
    )
