"""Domain events, dispatched only after the transaction that raised them commits."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """Base of every event; subclasses are frozen dataclasses named in the past tense."""


Handler = Callable[[Event], None]


class EventBus:
    """In-process publish/subscribe; a failing handler is logged and never undoes the commit."""

    def __init__(self) -> None:
        self._handlers: dict[type[Event], list[Handler]] = defaultdict(list)

    def subscribe(self, event_type: type[Event], handler: Handler) -> None:
        """Call `handler` for every committed event of `event_type` (or a subclass)."""
        self._handlers[event_type].append(handler)

    def dispatch(self, events: Sequence[Event]) -> None:
        """Hand each event to its handlers, in order."""
        for event in events:
            for event_type, handlers in self._handlers.items():
                if isinstance(event, event_type):
                    for handler in handlers:
                        try:
                            handler(event)
                        except Exception:
                            log.exception("event handler failed for %s", type(event).__name__)
