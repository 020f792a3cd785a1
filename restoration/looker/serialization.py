"""Looker SDK models to and from plain dicts, the form backups store.

`api_dict(model)` is the object as the API's JSON has it: every field the SDK model
holds, None fields left out, datetimes in the SDK's own format, enums as their values,
reserved-word fields under their API names (`from_` -> `from`). It is what
`converter40.unstructure` gives for the top level of a model; cattrs leaves nested
lists of models (declared through forward references) as model objects, so api_dict
applies the same rules at every depth. `converter40.structure(api_dict(m), type(m))`
gives the model back.
"""

from __future__ import annotations

import enum
import json
import keyword
from datetime import datetime
from typing import Any

import attr
from cattrs.cols import is_sequence, list_structure_factory
from looker_sdk.rtl import hooks, serialize
from looker_sdk.rtl import model as sdk_model

_FIELD_NAMES: dict[type, tuple[tuple[str, str], ...]] = {}


def _field_names(cls: type) -> tuple[tuple[str, str], ...]:
    """(attribute, API name) pairs of a model class, computed once per class."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = tuple(
            (
                f.name,
                f.name[:-1] if f.name.endswith("_") and keyword.iskeyword(f.name[:-1]) else f.name,
            )
            for f in attr.fields(cls)
        )
        _FIELD_NAMES[cls] = names
    return names


def api_dict(value: Any) -> Any:
    """A model (or list/dict of models) as the API's JSON-able dict."""
    if isinstance(value, sdk_model.Model):
        out: dict[str, Any] = {}
        for attribute, name in _field_names(type(value)):
            item = getattr(value, attribute)
            if item is not None:
                out[name] = api_dict(item)
        return out
    if isinstance(value, enum.Enum):  # before str: an enum may also be a str
        return value.value
    if isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [api_dict(v) for v in value]
    if isinstance(value, dict):
        return {k: api_dict(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return hooks.datetime_unstructure_hook(value)
    return value


# The SDK's deserialize40 registers this hook factory again on every response, which
# empties cattrs' cache of generated structuring code: each call then recompiles it
# (about 5 ms of CPU per call, most of a client's cost). Registering it once and
# structuring with the same converter gives the same models without the recompiling.
serialize.converter40.register_structure_hook_factory(is_sequence, list_structure_factory)


def deserialize40(*, data: str, structure: serialize.TStructure) -> serialize.TDeserializeReturn:
    """looker_sdk.rtl.serialize.deserialize40, minus the per-call hook registration."""
    try:
        value = json.loads(data)
    except json.JSONDecodeError as exc:
        raise serialize.DeserializeError(f"Bad json {exc}") from None
    try:
        return serialize.converter40.structure(value, structure)  # type: ignore[arg-type]
    except (TypeError, AttributeError) as exc:
        raise serialize.DeserializeError(f"Bad data {exc}") from None
