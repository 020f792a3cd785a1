"""Keyset paging for the big lists: `?after=<key>` instead of OFFSET, so the
millionth row costs what the first does, and no COUNT(*) ever runs."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

PAGE_SIZE = 50


@dataclass
class Page:
    rows: Sequence[Any]
    next_after: str | None


def newest_first_by_id(qs: QuerySet, after: str | None, size: int = PAGE_SIZE) -> Page:
    """Rows ordered by descending primary key, starting below `after`."""
    qs = qs.order_by("-pk")
    if after:
        try:
            qs = qs.filter(pk__lt=int(after))
        except ValueError:
            pass  # a mangled key shows the first page rather than an error
    rows = list(qs[: size + 1])
    if len(rows) > size:
        return Page(rows[:size], str(rows[size - 1].pk))
    return Page(rows, None)


def newest_first_by_time(
    qs: QuerySet, time_field: str, after: str | None, size: int = PAGE_SIZE
) -> Page:
    """Rows ordered by (time desc, pk desc), starting after the `<iso time>~<pk>` key."""
    qs = qs.order_by(f"-{time_field}", "-pk")
    if after and "~" in after:
        at_text, _, pk = after.rpartition("~")
        at_text = at_text.replace(" ", "+")  # a hand-typed "+00:00" arrives as a space
        try:
            at = datetime.fromisoformat(at_text)
        except ValueError:
            at = None
        if at is not None:
            qs = qs.filter(Q(**{f"{time_field}__lt": at}) | Q(**{time_field: at, "pk__lt": pk}))
    rows = list(qs[: size + 1])
    if len(rows) > size:
        last = rows[size - 1]
        return Page(rows[:size], f"{getattr(last, time_field).isoformat()}~{last.pk}")
    return Page(rows, None)


def in_plan_order(qs: QuerySet, after: str | None, size: int = PAGE_SIZE) -> Page:
    """A dry run's plan in dependency order: (content_type_rank, position, pk) ascending,
    starting after the `<rank>~<position>~<pk>` key (the session's index serves it)."""
    qs = qs.order_by("content_type_rank", "position", "pk")
    if after:
        try:
            rank, position, pk = (int(part) for part in after.split("~"))
        except ValueError:
            pass  # a mangled key shows the first page rather than an error
        else:
            qs = qs.filter(
                Q(content_type_rank__gt=rank)
                | Q(content_type_rank=rank, position__gt=position)
                | Q(content_type_rank=rank, position=position, pk__gt=pk)
            )
    rows = list(qs[: size + 1])
    if len(rows) > size:
        last = rows[size - 1]
        return Page(rows[:size], f"{last.content_type_rank}~{last.position}~{last.pk}")
    return Page(rows, None)
