"""LookML models: the model configuration (allowed connections, project), known by name.
The LookML itself lives in git and the models' explores come from their deployment."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from looker_sdk.sdk.api40 import models as m

from restoration.engine.api import (
    DestinationAPI,
    ItemFailed,
    LostWrite,
    as_dict,
    finds_lost_answer,
    is_missing,
    retried_as_is,
)
from restoration.engine.content.base import CT, ContentKind, Outcome, body_dict, write_fields

if TYPE_CHECKING:
    from restoration.engine.destination import DestinationState
    from restoration.engine.plan import PlanEntry
    from restoration.engine.restorer import Restorer


class LookmlModelKind(ContentKind):
    content_type = CT.LOOKML_MODEL
    label = "LookML model"
    id_field = "name"
    stamp_fields = write_fields(m.WriteLookmlModel)

    def listing(self, state: DestinationState) -> list[dict[str, Any]]:
        return state.listed("all_lookml_models")

    def natural_key(self, obj: dict[str, Any]) -> Any:
        return obj.get("name") or None

    def match_unrestored(self, r: Restorer, sid: str) -> str | None:
        # A model's name is its id on every instance.
        return sid if sid in r.state.index(CT.LOOKML_MODEL).by_id else None

    def still_restorable(self, r: Restorer, data: dict[str, Any]) -> None:
        if r.dry_run:
            missing = [
                c
                for c in data.get("allowed_db_connection_names") or []
                if c not in r.state.connection_names()
            ]
            if missing:
                raise ItemFailed(
                    f"connection(s) {', '.join(missing)} absent on the destination",
                    error_type="MissingConnection",
                )

    def restore(self, r: Restorer, entry: PlanEntry, data: dict[str, Any]) -> Outcome:
        name = data.get("name") or entry.content_id
        self.still_restorable(r, data)
        wanted = body_dict(m.WriteLookmlModel, {**data, "name": name}, f"LookML model {name}")
        index = r.state.index(CT.LOOKML_MODEL)
        if name not in index.by_id:
            self._look_again(r, name)
        target = (name, False) if name in index.by_id else (None, False)
        return r.upsert(
            CT.LOOKML_MODEL,
            entry,
            wanted,
            create="create_lookml_model",
            update="update_lookml_model",
            create_cls=m.WriteLookmlModel,
            update_cls=m.WriteLookmlModel,
            key=name,
            target=target,
            id_field="name",
        )[0]

    def _look_again(self, r: Restorer, name: str) -> None:
        """Looker configures a model itself when its project is first deployed, often (its
        docs say): one the destination listing did not have may exist by now. It is
        adopted and updated, never created a second time (a 422 "already exists")."""
        found = as_dict(configured_model(r.api, name))
        if found:
            # Whole, as the listing has it, so that only real differences are written.
            r.state.index(CT.LOOKML_MODEL).add(CT.LOOKML_MODEL, found)


# -- writes whose answer was lost (restoration.engine.api) -----------------------------
retried_as_is("PATCH sets the fields it names", "update_lookml_model")


def configured_model(api: DestinationAPI, name: str) -> Any:
    """The destination's model configuration of that name, or None."""
    try:
        return api.read("lookml_model", name)
    except ItemFailed as exc:
        if is_missing(exc):
            return None
        raise


@finds_lost_answer("create_lookml_model")
def find_model(api: DestinationAPI, lost: LostWrite) -> Any:
    """The model configuration of that name (a name is unique: the repeat of a create
    that landed is refused "Model already exists")."""
    return configured_model(api, str((lost.body or {}).get("name")))
