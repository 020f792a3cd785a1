"""How far a session got through one content type, kept small enough to save often.

Workers finish out of order, so progress is "every plan position below `last_offset`
is done" plus the content ids done beyond it. The ids beyond are folded into the
offset as the contiguous prefix grows: a checkpoint stays the size of the in-flight
window (a few times the worker count), whatever the session's size.
"""

from __future__ import annotations

from typing import Any


class TypeProgress:
    """Done/not-done for the plan positions of one content type."""

    def __init__(self, last_offset: int = 0, completed_ids: list[str] | None = None) -> None:
        self.last_offset = last_offset
        # Ids read from a saved checkpoint: done beyond the offset, position unknown
        # until the plan reaches them again.
        self._resumed_ids = set(completed_ids or ())
        self._beyond: dict[int, str] = {}

    @classmethod
    def from_data(cls, data: dict[str, Any] | None) -> TypeProgress:
        data = data or {}
        return cls(int(data.get("last_offset", 0)), list(data.get("completed_ids", [])))

    def is_done(self, offset: int, content_id: str) -> bool:
        return offset < self.last_offset or content_id in self._resumed_ids

    def mark_done(self, offset: int, content_id: str) -> None:
        if offset < self.last_offset:
            return
        self._beyond[offset] = content_id
        while self.last_offset in self._beyond:
            done_id = self._beyond.pop(self.last_offset)
            self._resumed_ids.discard(done_id)
            self.last_offset += 1

    def data(self) -> dict[str, Any]:
        ids = set(self._beyond.values()) | self._resumed_ids
        return {"last_offset": self.last_offset, "completed_ids": sorted(ids)}
