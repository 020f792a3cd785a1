"""What a restore is asked to do (RestorationConfig) and what it did (result, summary).

Field names and bounds follow the design; the launch form, the `restore` command
and the engine all validate through RestorationConfig, so one set of rules applies.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from restoration.content_types import RESTORABLE_TYPES, ContentType

logger = logging.getLogger(__name__)

RECOMMENDED_MAX_WORKERS = 16
# What a date box and `--since`/`--until` say about a day that does not exist.
INVALID_DATE = "Enter a real date as YYYY-MM-DD"
SHOWN_UNKNOWN_IDS = 20


class LaunchRefused(ValueError):
    """What a person asked for cannot be launched: (field, message) pairs, where field is a
    RestorationConfig field name ("" for the whole request). The launch form puts each
    message next to its box, `manage.py restore` next to its option: the same words."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {m}" if f else m for f, m in problems))
        self.problems = problems


def pydantic_problem(error: dict[str, Any]) -> tuple[str, str]:
    """(field, message) of one pydantic error, in a person's words."""
    message = str(error["msg"]).removeprefix("Value error, ")
    loc = [str(part) for part in error.get("loc", ())]
    name = loc[0] if loc else ""
    if not name and ":" in message:
        # Model-level checks name their field first ("date_range: the start is ...").
        name, _, message = message.partition(":")
        message = message.strip()
    return name, message[:1].upper() + message[1:]


class RestorationConfig(BaseModel):
    """Configuration for one restoration session (the design's RestorationConfig)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    workers: int = Field(default=8, ge=1, le=32, description="Parallel worker threads.")
    rate_limit_per_minute: int = Field(
        default=120, ge=1, description="Most API calls in any minute."
    )
    rate_limit_per_second: int = Field(
        default=10, ge=1, description="Most API calls in any second."
    )
    checkpoint_interval: int = Field(default=100, ge=1, description="Items between checkpoints.")
    max_retries: int = Field(default=5, ge=0, le=10, description="Retries of a transient failure.")
    dry_run: bool = False
    skip_if_modified: bool = Field(
        default=False,
        description="Leave objects alone that changed in the destination after the backup.",
    )
    disable_schedules: bool | None = Field(
        default=None,
        description="Restore scheduled plans and alerts disabled. Default: on for cross-instance restores.",
    )
    include_deleted: bool = Field(
        default=False, description="Also restore items deleted from Looker before the backup."
    )
    keep_extra: bool = Field(
        default=False,
        description=(
            "Add and update only: leave in place the tiles, filters, board sections and "
            "board items the destination has and the backup lacks (by default they are "
            "removed, so a restored dashboard or board ends equal to the backup)."
        ),
    )
    verify: bool = Field(
        default=False,
        description=(
            "Compare every item in full, reading what no bulk listing shows (folder access, "
            "nested groups, role groups, attribute values, alert followers), even items "
            "whose backup and destination are unchanged since the last restore."
        ),
    )

    content_types: list[int] | None = None
    content_ids: list[str] | None = None
    date_range: tuple[datetime, datetime] | None = None

    source_instance: str | None = None
    destination_instance: str = ""

    # Point-in-time restore (docs/backup.md, "History"): the backup as it was at as_of,
    # or as backup run `backup_run` left it. Checked against the backup runs on record.
    as_of: datetime | None = Field(
        default=None, description="Restore the selection as the backup held it at this time."
    )
    backup_run: int | None = Field(
        default=None, description="Restore the selection as this backup run left it."
    )

    @field_validator("workers")
    @classmethod
    def warn_many_workers(cls, value: int) -> int:
        if value > RECOMMENDED_MAX_WORKERS:
            logger.warning(
                "Worker count %s exceeds the recommended limit (%s): SQLite write contention grows",
                value,
                RECOMMENDED_MAX_WORKERS,
            )
        return value

    @field_validator("content_types")
    @classmethod
    def known_types(cls, value: list[int] | None) -> list[int] | None:
        if value is None:
            return None
        unknown = [v for v in value if v not in ContentType.values]
        if unknown:
            raise ValueError(f"unknown content type(s): {', '.join(map(str, unknown))}")
        return sorted(set(value))

    @field_validator("content_ids")
    @classmethod
    def clean_ids(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        cleaned = [v.strip() for v in value if v and v.strip()]
        return list(dict.fromkeys(cleaned)) or None

    @model_validator(mode="after")
    def check_ranges(self) -> RestorationConfig:
        if self.date_range and self.date_range[0] > self.date_range[1]:
            raise ValueError("date_range: the start is after the end")
        if self.rate_limit_per_second > self.rate_limit_per_minute:
            # Not an error: the per-minute limit simply binds. Logged for the operator.
            logger.info(
                "rate_limit_per_second exceeds rate_limit_per_minute; the per-minute limit binds"
            )
        return self

    @classmethod
    def for_launch(cls, **values: Any) -> RestorationConfig:
        """The config a person asked for, judged by every rule a launch must pass: the
        model's own, then that each type can be restored and each id is in the backup.
        The launch form and `manage.py restore` both come through here; raises
        LaunchRefused."""
        try:
            config = cls(**values)
        except ValidationError as exc:
            raise LaunchRefused([pydantic_problem(e) for e in exc.errors()]) from None
        problems = config.launch_problems()
        if problems:
            raise LaunchRefused(problems)
        return config

    def launch_problems(self) -> list[tuple[str, str]]:
        problems = []
        cannot = [ContentType(t) for t in self.content_types or () if t not in RESTORABLE_TYPES]
        if cannot:
            names = ", ".join(t.label for t in cannot)
            problems.append(
                ("content_types", f"Cannot be restored (Looker has no API to write them): {names}")
            )
        if self.as_of is not None:
            from restoration.versions import retention_gap

            if (gap := retention_gap(self.as_of)) is not None:
                problems.append(("as_of" if self.backup_run is None else "backup_run", gap))
        unknown = self.ids_not_in_backup()
        if unknown:
            shown = ", ".join(unknown[:SHOWN_UNKNOWN_IDS])
            more = " …" if len(unknown) > SHOWN_UNKNOWN_IDS else ""
            problems.append(("content_ids", f"Not in the backup: {shown}{more}"))
        return problems

    def ids_not_in_backup(self) -> list[str]:
        """The chosen ids that no backup item of the chosen types has."""
        if not self.content_ids:
            return []
        if self.as_of is not None:
            # As the backup held them then (restoration/versions.py).
            from restoration.engine.plan import Plan

            return Plan(self).unknown_ids()
        from restoration.models import IN_BATCH, ContentItem  # models import this module

        types = [t for t in self.content_types or RESTORABLE_TYPES if t in RESTORABLE_TYPES]
        found: set[str] = set()
        for start in range(0, len(self.content_ids), IN_BATCH):
            chunk = self.content_ids[start : start + IN_BATCH]
            found.update(
                ContentItem.objects.filter(
                    content_type__in=types, content_id__in=chunk
                ).values_list("content_id", flat=True)
            )
        return [i for i in self.content_ids if i not in found]

    @model_validator(mode="after")
    def check_point_in_time(self) -> RestorationConfig:
        """A point in time the history holds: not before the first backup, not a failed run.
        The run's own time becomes as_of, so the session records the moment it restored."""
        if self.as_of is None and self.backup_run is None:
            return self
        if self.as_of is not None and self.as_of.tzinfo is None:
            raise ValueError("as_of: give a time zone (or UTC) with the point in time")
        from restoration.versions import BackupRun, PointInTimeError

        try:
            when = BackupRun.objects.point_in_time(self.as_of, self.backup_run)
        except PointInTimeError as exc:
            # Named first, so the form puts the message next to its field.
            field = "as_of" if self.backup_run is None else "backup_run"
            raise ValueError(f"{field}: {exc}") from None
        if when != self.as_of:
            self.__dict__["as_of"] = when  # no re-validation loop (validate_assignment)
        return self

    @property
    def is_point_in_time(self) -> bool:
        return self.as_of is not None

    @property
    def is_cross_instance(self) -> bool:
        return bool(self.source_instance) and self.source_instance != self.destination_instance

    @property
    def schedules_disabled(self) -> bool:
        """Restore scheduled plans and alerts disabled? Explicit choice, else on when
        crossing instances (a copy to staging must not email anyone)."""
        return self.is_cross_instance if self.disable_schedules is None else self.disable_schedules

    @property
    def with_warnings(self) -> list[str]:
        warnings = []
        if self.workers > RECOMMENDED_MAX_WORKERS:
            warnings.append(
                f"{self.workers} workers exceeds the recommended {RECOMMENDED_MAX_WORKERS} (SQLite write contention)"
            )
        return warnings


ResultStatus = Literal["success", "created", "updated", "failed", "skipped"]


class RestorationResult(BaseModel):
    """Result of restoring one item."""

    content_id: str
    content_type: int
    status: ResultStatus
    destination_id: str | None = None
    error_message: str | None = None
    retry_count: int = 0
    duration_ms: float | None = None


class RestorationSummary(BaseModel):
    """Summary of a finished session."""

    session_id: str
    total_items: int
    success_count: int
    created_count: int
    updated_count: int
    error_count: int
    skipped_count: int
    duration_seconds: float
    average_throughput: float = Field(description="Items per second.")
    content_type_breakdown: dict[int, int] = Field(default_factory=dict)
    error_breakdown: dict[str, int] = Field(default_factory=dict)
    warning_count: int = Field(
        default=0, description="Parts of items left out while the rest was restored."
    )
    api_calls: int = 0

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
