"""The answering index each platform keeps in memory, following the knowledge base's version."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

import numpy as np
from sqlalchemy.orm import Session

import smartcity.modules.search.service as search
from smartcity.core.platform import Platform
from smartcity.core.repository import settings_of
from smartcity.core.uow import UnitOfWork
from smartcity.modules.chatbot import engine
from smartcity.modules.chatbot import repository as repo
from smartcity.modules.chatbot.intents import intent_docs
from smartcity.modules.chatbot.links import shown as shown_links
from smartcity.modules.chatbot.models import Item
from smartcity.modules.chatbot.settings import ChatbotSettings
from smartcity.modules.chatbot.values import ItemStatus

INDEX_SERVICE = "chatbot.index"

# Reads the stored vectors of some texts of one kind (search's `stored_vectors` here).
VectorReader = Callable[[Session, Sequence[str], search.TextKind], dict[str, np.ndarray]]
QUERY, PASSAGE = search.TextKind.QUERY, search.TextKind.PASSAGE


class IndexHolder:
    """A platform's answering index, refreshed when the knowledge-base version moves.

    Platform needs (`intents`) are documents of their own, there from the start. The dense
    side reads each changed item's vectors from the database (never embeds): its phrasings'
    (`query:`) and its passage's (`passage:`, `engine.passage_of`). Texts whose vectors are
    not stored yet wait in `awaiting` and are read again when search's vector version moves;
    `unrequested` are those nobody has asked search to embed yet (items stored before the
    search module was), for the next write to ask (`request_missing`).
    """

    def __init__(
        self,
        home_places: Sequence[str] | None = None,
        districts: Sequence[str] | None = None,
        vectors: VectorReader | None = None,
    ) -> None:
        self.index = engine.AnswerIndex(home_places, districts)
        self._lock = threading.Lock()
        self._vectors = vectors
        self._vectors_version = -1
        self.awaiting: dict[str, tuple[list[str], str]] = {}
        self.unrequested: dict[search.TextKind, set[str]] = {QUERY: set(), PASSAGE: set()}
        self.last_refresh_seconds = 0.0
        # Platform needs compete with the items for every question, ranked the same way.
        needs = intent_docs()
        self.index.upsert(needs)
        self.awaiting.update(
            {doc.item_id: ([doc.question, *doc.variants], engine.passage_of(doc)) for doc in needs}
        )

    def refresh(self, session: Session) -> engine.AnswerIndex:
        """Bring the index up to the stored version (only the changed items are re-read)."""
        version = repo.kb_version(session)
        vectors_version = search.vectors_version(session) if self._vectors else -1
        if version == self.index.version and (
            not self.awaiting or vectors_version == self._vectors_version
        ):
            return self.index
        with self._lock:
            if version != self.index.version:
                started = time.perf_counter()
                items = repo.items_changed_since(session, self.index.version)
                variants = repo.variant_texts(session, [item.id for item in items])
                active = [item for item in items if item.status == ItemStatus.ACTIVE.value]
                gone = [str(item.id) for item in items if item not in active]
                self.index.remove(gone)
                for item_id in gone:
                    self.awaiting.pop(item_id, None)
                docs = [doc_of(item, variants.get(item.id, [])) for item in active]
                self.index.upsert(docs)
                self.index.rebuild()
                self.awaiting.update(
                    {
                        doc.item_id: ([doc.question, *doc.variants], engine.passage_of(doc))
                        for doc in docs
                    }
                )
                self.index.version = version
                self.last_refresh_seconds = time.perf_counter() - started
            if self._vectors and self.awaiting and vectors_version != self._vectors_version:
                self._read_vectors(session, self._vectors)
                self._vectors_version = vectors_version
        return self.index

    def _read_vectors(self, session: Session, reader: VectorReader) -> None:
        wanted = [text for texts, _ in self.awaiting.values() for text in texts]
        found = reader(session, wanted, QUERY)
        passages = reader(session, [passage for _, passage in self.awaiting.values()], PASSAGE)
        for item_id, (texts, passage) in list(self.awaiting.items()):
            have = [found[t] for t in texts if t in found]
            self.index.set_vectors(item_id, have, passages.get(passage))
            if len(have) == len(texts) and passage in passages:
                del self.awaiting[item_id]
        self.unrequested = {
            QUERY: {t for texts, _ in self.awaiting.values() for t in texts if t not in found},
            PASSAGE: {p for _, p in self.awaiting.values() if p not in passages},
        }

    def request_missing(self, uow: UnitOfWork) -> None:
        """Ask search to embed the texts nobody has asked for yet (in the caller's transaction)."""
        for kind, texts in self.unrequested.items():
            if texts:
                search.request_embeddings(uow, sorted(texts), kind)
        self.unrequested = {QUERY: set(), PASSAGE: set()}


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

        def vectors(
            session: Session, texts: Sequence[str], kind: search.TextKind
        ) -> dict[str, np.ndarray]:
            return search.stored_vectors(session, platform, texts, kind)

        holder = platform.services.setdefault(
            INDEX_SERVICE,
            IndexHolder(
                settings.home_places.split(",") if settings.home_places else None,
                settings.districts.split(",") if settings.districts else None,
                vectors if search.embedder_of(platform).embedder else None,
            ),
        )
    if not isinstance(holder, IndexHolder):
        raise TypeError("the IndexHolder service has the wrong type")
    return holder
