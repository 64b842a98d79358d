"""The answering index each platform keeps in memory, following the knowledge base's version."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from sqlalchemy.orm import Session

from smartcity.core.platform import Platform
from smartcity.core.repository import settings_of
from smartcity.modules.chatbot import engine
from smartcity.modules.chatbot import repository as repo
from smartcity.modules.chatbot.links import shown as shown_links
from smartcity.modules.chatbot.models import Item
from smartcity.modules.chatbot.settings import ChatbotSettings
from smartcity.modules.chatbot.values import ItemStatus

INDEX_SERVICE = "chatbot.index"


class IndexHolder:
    """A platform's answering index, refreshed when the knowledge-base version moves."""

    def __init__(self, home_places: Sequence[str], districts: Sequence[str]) -> None:
        self.index = engine.AnswerIndex(home_places, districts)
        self._lock = threading.Lock()
        self.last_refresh_seconds = 0.0

    def refresh(self, session: Session) -> engine.AnswerIndex:
        """Bring the index up to the stored version (only the changed items are re-read)."""
        version = repo.kb_version(session)
        if version == self.index.version:
            return self.index
        with self._lock:
            if version == self.index.version:
                return self.index
            started = time.perf_counter()
            items = repo.items_changed_since(session, self.index.version)
            variants = repo.variant_texts(session, [item.id for item in items])
            active = [item for item in items if item.status == ItemStatus.ACTIVE.value]
            self.index.remove(str(item.id) for item in items if item not in active)
            self.index.upsert(doc_of(item, variants.get(item.id, [])) for item in active)
            self.index.rebuild()
            self.index.version = version
            self.last_refresh_seconds = time.perf_counter() - started
        return self.index


def doc_of(item: Item, variants: Sequence[str]) -> engine.Doc:
    """What the index keeps of an item."""
    return engine.Doc(
        item_id=str(item.id),
        question=item.question,
        answer=item.answer,
        source_id=item.source_id,
        department_code=item.department_code,
        department_name=item.department_name,
        keywords=list(item.keywords or []),
        variants=list(variants),
        links=shown_links(item.links or []),
        valid_from=item.valid_from,
        valid_until=item.valid_until,
    )


def index_of(platform: Platform) -> IndexHolder:
    """The platform's index holder (made on first use)."""
    holder = platform.services.get(INDEX_SERVICE)
    if holder is None:
        settings = settings_of(platform, "chatbot", ChatbotSettings)
        holder = platform.services.setdefault(
            INDEX_SERVICE,
            IndexHolder(settings.home_places.split(","), settings.districts.split(",")),
        )
    if not isinstance(holder, IndexHolder):
        raise TypeError("the IndexHolder service has the wrong type")
    return holder
