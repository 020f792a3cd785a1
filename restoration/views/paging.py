"""Keyset paging for the big lists: `?after=<key>` instead of OFFSET, so the
millionth row costs what the first does, and no COUNT(*) ever runs."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Length

from restoration.content_types import ContentType

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


# Types whose ids are names (LookML models "thelook"), not numbers: sorted as text.
NAMED_ID_TYPES = (ContentType.LOOKML_MODEL, ContentType.EXPLORE)


def _id_length() -> Case:
    """Numbers sort as numbers when shorter ones come first (2 before 10 before 100)."""
    return Case(
        When(content_type__in=NAMED_ID_TYPES, then=Value(0)),
        default=Length("content_id"),
        output_field=IntegerField(),
    )


def in_plan_order(parts: Sequence[QuerySet], after: str | None, size: int = PAGE_SIZE) -> Page:
    """A dry run's plan, one part after another (the failures, then the rest), each in
    dependency order and by id, numeric ids as numbers: (rank, id length, id, pk)
    ascending, starting after the `<part>~<rank>~<length>~<id>~<pk>` key."""
    start, key = 0, None
    if after:
        fields = after.split("~")
        try:
            start, rank, length, pk = (
                int(fields[0]),
                int(fields[1]),
                int(fields[2]),
                int(fields[-1]),
            )
            key = (rank, length, "~".join(fields[3:-1]), pk)
        except (ValueError, IndexError):
            start, key = 0, None  # a mangled key shows the first page rather than an error
    rows: list[Any] = []
    for number, qs in enumerate(parts[start:], start):
        qs = qs.annotate(id_length=_id_length()).order_by(
            "content_type_rank", "id_length", "content_id", "pk"
        )
        if key is not None and number == start:
            rank, length, content_id, pk = key
            same_rank = Q(content_type_rank=rank)
            same_length = same_rank & Q(id_length=length)
            same_id = same_length & Q(content_id=content_id)
            qs = qs.filter(
                Q(content_type_rank__gt=rank)
                | (same_rank & Q(id_length__gt=length))
                | (same_length & Q(content_id__gt=content_id))
                | (same_id & Q(pk__gt=pk))
            )
        for row in qs[: size + 1 - len(rows)]:
            row.plan_part = number
            rows.append(row)
        if len(rows) > size:
            break
    if len(rows) > size:
        last = rows[size - 1]
        return Page(
            rows[:size],
            f"{last.plan_part}~{last.content_type_rank}~{last.id_length}~{last.content_id}~{last.pk}",
        )
    return Page(rows, None)
