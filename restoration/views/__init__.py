"""Pages of the restoration app: one module per page family; healthz lives here."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from restoration.health import cluster_health


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Database reachable and task cluster alive, for load balancers and monitors."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = {"ok": True}
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        database = {"ok": False, "error": type(exc).__name__}
    cluster = cluster_health()
    status = 200 if database["ok"] else 503
    return JsonResponse(
        {"ok": database["ok"], "database": database, "cluster": cluster}, status=status
    )
