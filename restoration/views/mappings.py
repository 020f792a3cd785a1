"""ID mappings: where each source object went, searchable at a million rows; CSV; clearing."""

import csv
from collections.abc import Iterator

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from restoration.content_types import ContentType
from restoration.forms import configured_instances
from restoration.models import IDMapping, RestorationSession
from restoration.views.access import HtmxHttpRequest, action, page
from restoration.views.history import CSV_CHUNK, Echo, csv_cell
from restoration.views.paging import newest_first_by_id

# An id is shared by few objects (one per type and destination); this bounds the IN list.
SEARCH_LIMIT = 500


def _content_type(params: QueryDict) -> int | None:
    value = params.get("type", "")
    return int(value) if value.isdigit() and int(value) in ContentType.values else None


def filtered_mappings(params: QueryDict) -> QuerySet[IDMapping]:
    qs = IDMapping.objects.all()
    if params.get("destination"):
        qs = qs.filter(destination_instance=params["destination"])
    if params.get("source"):
        qs = qs.filter(source_instance=params["source"])
    if (content_type := _content_type(params)) is not None:
        qs = qs.filter(content_type=content_type)
    if params.get("session"):
        qs = qs.filter(session_id=params["session"].strip())
    if q := params.get("q", "").strip():
        # Two indexed lookups: SQLite answers an OR across two columns with a full scan.
        matches = IDMapping.objects.order_by()
        ids = [
            *matches.filter(source_id=q).values_list("pk", flat=True)[:SEARCH_LIMIT],
            *matches.filter(destination_id=q).values_list("pk", flat=True)[:SEARCH_LIMIT],
        ]
        qs = qs.filter(pk__in=ids)
    return qs


def known_instances() -> list[str]:
    """Instances to filter by: looker.ini's and every session's (never a scan of 1M mappings)."""
    urls = {i.base_url for i in configured_instances()[0]}
    for destination, source in RestorationSession.objects.values_list(
        "destination_instance", "source_instance"
    ).distinct():
        urls.update(u for u in (destination, source) if u)
    return sorted(urls)


@page("restoration.view_idmapping")
def mappings(request: HtmxHttpRequest) -> HttpResponse:
    context = {
        "page": newest_first_by_id(filtered_mappings(request.GET), request.GET.get("after")),
        "content_types": ContentType.choices,
    }
    if request.htmx and request.GET.get("after"):
        return render(request, "restoration/mappings.html#rows", context)
    context["instances"] = known_instances()
    return render(request, "restoration/mappings.html", context)


@page("restoration.view_idmapping")
def mappings_csv(request: HtmxHttpRequest) -> StreamingHttpResponse:
    rows_qs = (
        filtered_mappings(request.GET)
        .order_by("pk")
        .values_list(
            "content_type",
            "source_instance",
            "source_id",
            "destination_instance",
            "destination_id",
            "session_id",
            "created_at",
        )
    )

    def rows() -> Iterator[str]:
        writer = csv.writer(Echo())
        yield writer.writerow(
            [
                "content_type",
                "source_instance",
                "source_id",
                "destination_instance",
                "destination_id",
                "session",
                "created_at",
            ]
        )
        for row in rows_qs.iterator(chunk_size=CSV_CHUNK):
            content_type, *rest = row
            yield writer.writerow([ContentType(content_type).slug] + [csv_cell(v) for v in rest])

    return StreamingHttpResponse(
        rows(),
        content_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="id-mappings.csv"'},
    )


@action("restoration.clear_mappings")
def clear_mappings(request: HtmxHttpRequest) -> HttpResponse:
    """Clear the mappings into one destination (optionally of one type), after a confirmation."""
    destination = request.POST.get("destination", "").strip()
    content_type = _content_type(request.POST)
    if not destination:
        messages.error(request, "Choose the destination instance whose mappings to clear.")
        return redirect("restoration-mappings")
    selection = IDMapping.objects.filter(destination_instance=destination)
    if content_type is not None:
        selection = selection.filter(content_type=content_type)
    what = (
        f"{ContentType(content_type).label} mappings"
        if content_type is not None
        else "all mappings"
    ) + f" into {destination}"
    if request.POST.get("confirmed") != "yes":
        return render(
            request,
            "restoration/mappings_clear_confirm.html",
            {
                "destination": destination,
                "content_type": content_type,
                "what": what,
                "count": selection.count(),
            },
        )
    deleted = selection.clear_recorded(request.user, f"Cleared {what}")
    messages.success(request, f"Cleared {deleted:,} ID mappings ({what}).")
    return redirect(reverse("restoration-mappings") + "?" + urlencode({"destination": destination}))
