"""The backup browser: content by type, search by name, one object decoded, "restore this"."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from restoration.content_types import RESTORABLE_TYPES, ContentType
from restoration.models import BlobDecodeError, ContentItem, IDMapping
from restoration.versions import ContentVersion
from restoration.views.access import HtmxHttpRequest, page
from restoration.views.extract import backup_summary
from restoration.views.paging import newest_first_by_id


@page("restoration.view_contentitem")
def backup(request: HtmxHttpRequest) -> HttpResponse:
    items = ContentItem.objects.defer("content_data")
    content_type = request.GET.get("type", "")
    if content_type.isdigit():
        items = items.filter(content_type=int(content_type))
    if request.GET.get("deleted") != "yes":
        items = items.active()
    if q := request.GET.get("q", "").strip():
        items = items.filter(name__icontains=q)
    context = {"page": newest_first_by_id(items, request.GET.get("after"))}
    if request.htmx and request.GET.get("after"):
        return render(request, "restoration/backup.html#rows", context)
    context["inventory"] = ContentItem.objects.inventory()
    context["backup_summary"] = backup_summary(context["inventory"])
    return render(request, "restoration/backup.html", context)


@page("restoration.view_contentitem")
def backup_item(request: HtmxHttpRequest, type_slug: str, content_id: str) -> HttpResponse:
    try:
        content_type = ContentType.from_slug(type_slug)
    except ValueError:
        raise Http404(f"No content type {type_slug!r}") from None
    item = ContentItem.objects.get_content(content_id, content_type)
    if item is None:
        raise Http404(f"{content_type.label} {content_id} is not in the backup")
    try:
        decoded, decode_error = item.decoded(), ""
    except BlobDecodeError as exc:
        decoded, decode_error = None, str(exc)
    restore_url = ""
    if content_type in RESTORABLE_TYPES:
        query = urlencode({"content_types": int(content_type), "content_ids": item.content_id})
        restore_url = reverse("restoration-launch-form") + "?" + query
    return render(
        request,
        "restoration/backup_item.html",
        {
            "item": item,
            "decoded": decoded,
            "decode_error": decode_error,
            "restore_url": restore_url,
            "version_count": ContentVersion.objects.of_object(content_type, content_id).count(),
            "mappings": IDMapping.objects.filter(
                content_type=content_type, source_id=item.content_id
            ).order_by("-pk")[:20],
        },
    )
