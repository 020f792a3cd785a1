"""One object's history in the backup browser: its versions, a side-by-side diff of any
two, and "restore this version" (a pre-filled launch form: same or another instance)."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from restoration.backup.diff import diff_versions
from restoration.content_types import RESTORABLE_TYPES, ContentType
from restoration.models import BlobDecodeError, ContentItem, decode_blob
from restoration.versions import ContentVersion
from restoration.views.access import HtmxHttpRequest, page
from restoration.views.paging import newest_first_by_id


def _content_type(type_slug: str) -> ContentType:
    try:
        return ContentType.from_slug(type_slug)
    except ValueError:
        raise Http404(f"No content type {type_slug!r}") from None


def _user_names(ids: set[str]) -> dict[str, str]:
    """Looker user id -> the name (or email) the backup holds for that user."""
    rows = ContentItem.objects.filter(
        content_type=ContentType.USER, content_id__in=sorted(ids)
    ).values_list("content_id", "name", "owner_email")
    return {cid: name or email or f"user {cid}" for cid, name, email in rows}


def restore_version_url(version: ContentVersion) -> str:
    """The launch form, pre-filled with this object and the moment of this version."""
    query = urlencode(
        {
            "content_types": version.content_type,
            "content_ids": version.content_id,
            "as_of": version.valid_from.isoformat(),
        }
    )
    return reverse("restoration-launch-form") + "?" + query


@page("restoration.view_contentitem")
def object_history(request: HtmxHttpRequest, type_slug: str, content_id: str) -> HttpResponse:
    content_type = _content_type(type_slug)
    versions = ContentVersion.objects.of_object(content_type, content_id).select_related("run")
    found = newest_first_by_id(versions, request.GET.get("after"))
    if not found.rows and not request.GET.get("after"):
        raise Http404(f"{content_type.label} {content_id} has no history in the backup")
    names = _user_names({v.changed_by_id for v in found.rows if v.changed_by_id})
    restorable = content_type in RESTORABLE_TYPES
    rows = [
        {
            "version": v,
            "changed_by": names.get(v.changed_by_id, f"user {v.changed_by_id}")
            if v.changed_by_id
            else "",
            "restore_url": restore_version_url(v) if restorable else "",
        }
        for v in found.rows
    ]
    context = {
        "content_type": content_type,
        "content_id": content_id,
        "item": ContentItem.objects.defer("content_data").get_content(content_id, content_type),
        "rows": rows,
        "page": found,
    }
    if request.htmx and request.GET.get("after"):
        return render(request, "restoration/object_history.html#rows", context)
    return render(request, "restoration/object_history.html", context)


def _decoded(version: ContentVersion) -> tuple[dict | None, str]:
    blob = version.blob()
    if blob is None:
        return None, "The content of this version is no longer stored."
    try:
        return decode_blob(blob, label=f"version {version.pk}"), ""
    except BlobDecodeError as exc:
        return None, str(exc)


@page("restoration.view_contentitem")
def version_diff(request: HtmxHttpRequest, type_slug: str, content_id: str) -> HttpResponse:
    """Side by side: version `a` (older) against version `b` (newer, default the latest)."""
    content_type = _content_type(type_slug)
    versions = ContentVersion.objects.of_object(content_type, content_id).select_related("run")
    chosen = []
    for name in ("a", "b"):
        value = request.GET.get(name, "")
        if value and not value.isdigit():
            raise Http404(f"No version {value!r}")
        chosen.append(versions.filter(pk=int(value)).first() if value else None)
    before, after = chosen
    if after is None and not request.GET.get("b"):
        after = versions.order_by("-valid_from").first()
    if before is None and after is not None and not request.GET.get("a"):
        before = versions.filter(valid_from__lt=after.valid_from).order_by("-valid_from").first()
    if before is None or after is None:
        raise Http404(f"Choose two versions of {content_type.label} {content_id} to compare")
    if before.valid_from > after.valid_from:
        before, after = after, before
    old, old_error = _decoded(before)
    new, new_error = _decoded(after)
    diff = diff_versions(content_type, old, new) if old is not None and new is not None else None
    names = _user_names({v.changed_by_id for v in (before, after) if v.changed_by_id})
    return render(
        request,
        "restoration/version_diff.html",
        {
            "content_type": content_type,
            "content_id": content_id,
            "before": before,
            "after": after,
            "before_by": names.get(before.changed_by_id or "", before.changed_by_id or ""),
            "after_by": names.get(after.changed_by_id or "", after.changed_by_id or ""),
            "errors": [e for e in (old_error, new_error) if e],
            "diff": diff,
            "restore_url": restore_version_url(before) if content_type in RESTORABLE_TYPES else "",
        },
    )
