"""Dead letters: filter and break down by error, inspect one, retry or delete in bulk.

A bulk action names its rows one of two ways: ticked ids, or "all matching this
filter" with the filter itself, so ten thousand rows never travel as ids.
"""

from django.contrib import messages
from django.db.models import Count, QuerySet
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.http import urlencode

from restoration.content_types import ContentType
from restoration.models import BlobDecodeError, DeadLetterItem
from restoration.views.access import HtmxHttpRequest, action, page
from restoration.views.paging import newest_first_by_id

FILTERS = ("session", "type", "error_type")


def filter_params(params: QueryDict) -> dict[str, str]:
    return {name: params[name].strip() for name in FILTERS if params.get(name, "").strip()}


def filtered_dead_letters(params: QueryDict) -> QuerySet[DeadLetterItem]:
    content_type = params.get("type", "")
    return DeadLetterItem.objects.filtered(
        session_id=params.get("session", "").strip() or None,
        content_type=int(content_type) if content_type.isdigit() else None,
        error_type=params.get("error_type", "").strip() or None,
    )


def selection(params: QueryDict) -> tuple[QuerySet[DeadLetterItem], str]:
    """The rows a bulk action is about, and words for the audit log."""
    if params.get("all_matching") == "yes":
        filters = filter_params(params)
        described = ", ".join(f"{k}={v}" for k, v in filters.items()) or "no filter"
        return filtered_dead_letters(params), f"all dead letters matching {described}"
    ids = [int(i) for i in params.getlist("ids") if i.isdigit()]
    items = DeadLetterItem.objects.filter(pk__in=ids)
    return items, f"{len(ids)} selected dead letter{pluralize(len(ids))}: {named(items)}"


NAMED_IN_WORDS = 10


def named(items: QuerySet[DeadLetterItem]) -> str:
    """ "Look 50, Dashboard 12 and 3 more": which dead letters, in the audit log's words."""
    rows = list(
        items.order_by("content_type", "content_id").values_list("content_type", "content_id")[
            : NAMED_IN_WORDS + 1
        ]
    )
    shown = ", ".join(f"{ContentType(t).label} {cid}" for t, cid in rows[:NAMED_IN_WORDS])
    if len(rows) > NAMED_IN_WORDS:
        shown += f" and {items.count() - NAMED_IN_WORDS} more"
    return shown


def _back_to_list(params: QueryDict) -> HttpResponse:
    query = urlencode(filter_params(params))
    return redirect(reverse("restoration-dead-letters") + (f"?{query}" if query else ""))


@page("restoration.view_deadletteritem")
def dead_letters(request: HtmxHttpRequest) -> HttpResponse:
    items = filtered_dead_letters(request.GET).defer("content_data", "stack_trace", "metadata")
    context = {
        "page": newest_first_by_id(items, request.GET.get("after")),
        "filters": filter_params(request.GET),
        "content_types": ContentType.choices,
        # Rows carry a select box only for users who can act on a selection.
        "can_act": request.user.has_perm("restoration.retry_dead_letters")
        or request.user.has_perm("restoration.delete_deadletteritem"),
    }
    if request.htmx and request.GET.get("after"):
        return render(request, "restoration/dead_letters.html#rows", context)
    # The breakdown ignores the error-type filter, so every error type stays one click away.
    breakdown_params = request.GET.copy()
    breakdown_params.pop("error_type", None)
    context["breakdown"] = list(
        filtered_dead_letters(breakdown_params)
        .values("error_type")
        .annotate(count=Count("*"))  # COUNT(*): PostgreSQL answers from the index alone
        .order_by("-count", "error_type")
    )
    return render(request, "restoration/dead_letters.html", context)


@page("restoration.view_deadletteritem")
def dead_letter_detail(request: HtmxHttpRequest, item_id: int) -> HttpResponse:
    item = get_object_or_404(DeadLetterItem.objects.select_related("session"), pk=item_id)
    try:
        decoded, decode_error = item.decoded(), ""
    except BlobDecodeError as exc:
        decoded, decode_error = None, str(exc)
    metadata = item.metadata or {}
    return render(
        request,
        "restoration/dead_letter.html",
        {
            "item": item,
            "decoded": decoded,
            "decode_error": decode_error,
            "request_payload": metadata.get("request_payload"),
            "response_status": metadata.get("response_status"),
            "response_body": metadata.get("response_body"),
            "retry_history": metadata.get("retry_history") or [],
        },
    )


@action("restoration.retry_dead_letters")
def retry_dead_letter(request: HtmxHttpRequest, item_id: int) -> HttpResponse:
    get_object_or_404(DeadLetterItem, pk=item_id)
    session = DeadLetterItem.objects.filter(pk=item_id).retry(request.user)
    messages.success(request, "Retrying the dead letter as a new session.")
    return redirect("restoration-session", session_id=session.pk)


@action("restoration.retry_dead_letters")
def retry_dead_letters(request: HtmxHttpRequest) -> HttpResponse:
    items, described = selection(request.POST)
    if not items.exists():
        messages.error(
            request, "No dead letters selected: tick rows or 'all matching this filter'."
        )
        return _back_to_list(request.POST)
    session = items.retry(request.user)
    messages.success(request, f"Retrying {described} as a background session.")
    return redirect("restoration-session", session_id=session.pk)


@action("restoration.delete_deadletteritem")
def delete_dead_letters(request: HtmxHttpRequest) -> HttpResponse:
    """Delete the selection after a confirmation page; the audit log records who and what."""
    items, described = selection(request.POST)
    if request.POST.get("confirmed") != "yes":
        count = items.count()
        if not count:
            messages.error(
                request, "No dead letters selected: tick rows or 'all matching this filter'."
            )
            return _back_to_list(request.POST)
        return render(
            request,
            "restoration/dead_letters_delete_confirm.html",
            {
                "count": count,
                "described": described,
                "ids": request.POST.getlist("ids"),
                "all_matching": request.POST.get("all_matching") == "yes",
                "filters": filter_params(request.POST),
            },
        )
    deleted = items.delete_recorded(request.user, f"Deleted {described}")
    messages.success(request, f"Deleted {deleted:,} dead letters.")
    return _back_to_list(request.POST)
