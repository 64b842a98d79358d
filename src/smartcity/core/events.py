"""Domain events: stored with the transaction that emits them, delivered after its commit.

An event is a frozen dataclass of plain values (str, int, float, bool, datetime, UUID, tuples
of those) named in the past tense. `uow.emit(event)` stores one job per subscriber declared in
the manifests (`Manifest.subscribes`), in the emitting transaction; the worker delivers it at
least once, so a subscriber de-duplicates on `event.id`. An event nobody subscribes to is not
stored at all.
"""

from __future__ import annotations

import importlib
import json
import secrets
import types
import typing
import uuid
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any


def new_event_id() -> str:
    """A random id, unique per event: what subscribers de-duplicate on."""
    return secrets.token_hex(16)


@dataclass(frozen=True)
class Event:
    """Base of every event; subclasses are frozen dataclasses named in the past tense."""

    id: str = field(default_factory=new_event_id, kw_only=True)


def event_key(event_type: type[Event]) -> str:
    """How manifests name an event class: `"package.module:Class"`."""
    return f"{event_type.__module__}:{event_type.__qualname__}"


def dump_event(event: Event) -> str:
    """The event as the JSON payload of its subscribers' jobs."""
    return json.dumps(
        {"event": event_key(type(event)), "data": asdict(event)},
        ensure_ascii=False,
        sort_keys=True,
        default=_plain,
    )


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"an event holds plain values only, not {type(value).__name__}")


def load_event(payload: dict[str, Any]) -> Event:
    """The event `dump_event` wrote, with its datetimes and tuples restored."""
    module_name, _, name = str(payload["event"]).partition(":")
    event_type = getattr(importlib.import_module(module_name), name)
    hints = typing.get_type_hints(event_type)
    values: dict[str, Any] = {}
    for item in fields(event_type):
        value = payload["data"][item.name]
        hint = hints[item.name]
        union = typing.get_origin(hint) in (typing.Union, types.UnionType)
        kinds = typing.get_args(hint) if union else (hint,)
        if value is not None and datetime in kinds:
            value = datetime.fromisoformat(value)
        elif value is not None and uuid.UUID in kinds:
            value = uuid.UUID(value)
        elif typing.get_origin(hint) is tuple and isinstance(value, list):
            value = tuple(value)
        values[item.name] = value
    event: Event = event_type(**values)
    return event
