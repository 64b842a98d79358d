"""The audit transparency log: entries queued by writers, sequenced into a tree, proved, verified.

Every audited change becomes a leaf of an RFC 9162 Merkle tree. The public
`leaf_input` holds keyed digests of who and what (never names or ids), so
anyone can check the log's history without learning who did what to whom.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Insert, Select, Table, delete, func, insert, select, update
from sqlalchemy.orm import Session

from smartcity.core.audit import merkle
from smartcity.core.audit.models import AuditEntry, AuditNode, QueuedEntries, TreeHead
from smartcity.core.db import execute_as_one, execute_together
from smartcity.core.errors import InvalidInput
from smartcity.core.keys import KeyRing
from smartcity.core.time import isoformat_z, utcnow

if TYPE_CHECKING:
    from smartcity.core.platform import Platform

HEAD_ID = 1
MAX_ENTRIES_PER_PAGE = 1000
LEAF_VERSION = 2
"""Version 2 digests the change with the pseudonym key; version 1 (unkeyed SHA-256 of the
change, reversible when its values come from a small set such as plates) is still verified."""
DEQUEUE_BATCH = 1000
"""At most this many queued transactions are integrated per sequencer transaction."""
GATHER_SIBLINGS = 2
GATHER_SECONDS = 0.004
"""Group commit, as PostgreSQL's commit_siblings/commit_delay: when at least this many other
units of work are open in the process, the sequencer waits this long before draining, so that
one sequencer transaction takes several entries instead of one each."""

_HEAD_ROW = cast(Table, TreeHead.__table__)
_HEAD = select(_HEAD_ROW.c.tree_size, _HEAD_ROW.c.frontier).where(_HEAD_ROW.c.id == HEAD_ID)
# The head row is the lock that gives leaves their order (SQLite is already
# serialised by BEGIN IMMEDIATE; FOR UPDATE is a no-op there).
_LOCK_HEAD = _HEAD.with_for_update()
_QUEUE = cast(Table, QueuedEntries.__table__)
_ENTRIES = cast(Table, AuditEntry.__table__)
_NODES = cast(Table, AuditNode.__table__)
_ENQUEUE = insert(_QUEUE)
# Built once: a statement object reused keeps its cache key (this runs for every commit).
_INSERT_ENTRIES = insert(_ENTRIES)
_INSERT_NODES = insert(_NODES)
_UPDATE_HEAD = update(_HEAD_ROW).where(_HEAD_ROW.c.id == HEAD_ID)
_DEQUEUE = (
    delete(_QUEUE)
    .where(_QUEUE.c.id.in_(select(_QUEUE.c.id).order_by(_QUEUE.c.id).limit(DEQUEUE_BATCH)))
    .returning(_QUEUE.c.id, _QUEUE.c.entries)
)


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


@dataclass(frozen=True)
class PendingEntry:
    """An audit entry queued by a unit of work, written when it commits."""

    occurred_at: datetime
    actor_type: str
    actor_id: str
    action: str
    object_type: str
    object_id: str
    request_id: str
    change_json: str


@dataclass(frozen=True)
class Checkpoint:
    """A signed tree head in the C2SP tlog-checkpoint form."""

    tree_size: int
    root_hash: bytes
    timestamp_ms: int
    text: str
    signature: bytes
    public_key: bytes


@dataclass(frozen=True)
class Problem:
    """Something `verify` found wrong, naming the entry it concerns."""

    index: int | None
    message: str


def _frontier_from_bytes(tree_size: int, blob: bytes) -> dict[tuple[int, int], bytes]:
    """Map the right-edge perfect subtrees (largest first) to their (level, index)."""
    hashes = [blob[i : i + merkle.HASH_SIZE] for i in range(0, len(blob), merkle.HASH_SIZE)]
    levels = [bit for bit in range(tree_size.bit_length() - 1, -1, -1) if tree_size >> bit & 1]
    if len(levels) != len(hashes):
        raise ValueError("stored frontier does not match the tree size")
    frontier: dict[tuple[int, int], bytes] = {}
    start = 0
    for level, digest in zip(levels, hashes, strict=True):
        frontier[(level, start >> level)] = digest
        start += 1 << level
    return frontier


def _frontier_to_bytes(frontier: Mapping[tuple[int, int], bytes]) -> bytes:
    return b"".join(frontier[key] for key in sorted(frontier, key=lambda k: -k[0]))


def _root_from_frontier(frontier: Mapping[tuple[int, int], bytes]) -> bytes:
    ordered = [frontier[key] for key in sorted(frontier, key=lambda k: -k[0])]
    if not ordered:
        return merkle.EMPTY_ROOT
    root = ordered[-1]
    for digest in reversed(ordered[:-1]):
        root = merkle.node_hash(digest, root)
    return root


class TransparencyLog:
    """Appends, serves and verifies the log; one per platform."""

    def __init__(self, keys: KeyRing, origin: str) -> None:
        self.keys = keys
        self.origin = origin
        self._sequencing = threading.Lock()
        self._wanted = False
        self._open_lock = threading.Lock()
        self._open = 0

    def opened(self) -> None:
        """A unit of work began (it may queue entries soon)."""
        with self._open_lock:
            self._open += 1

    def closed(self) -> None:
        """A unit of work ended."""
        with self._open_lock:
            self._open -= 1

    # -- writing ---------------------------------------------------------

    def leaf_input(self, entry: PendingEntry | AuditEntry, version: int = LEAF_VERSION) -> bytes:
        """The exact public bytes hashed into a leaf, with personal data as keyed digests.

        Every digest is keyed: a change such as `{"kind": "plate", "value": …}` comes from a
        space small enough to enumerate, so an unkeyed hash of it would give the value away.
        """
        if version == 1:
            change = hashlib.sha256(entry.change_json.encode()).hexdigest()
        else:
            change = self.keys.pseudonym("audit-change", entry.change_json)
        document = {
            "v": version,
            "time": isoformat_z(entry.occurred_at),
            "actor_type": entry.actor_type,
            "actor": self.keys.pseudonym("audit-actor", entry.actor_id),
            "action": entry.action,
            "object_type": entry.object_type,
            "object": self.keys.pseudonym("audit-object", entry.object_id),
            "request": entry.request_id,
            "change": change,
        }
        return canonical_json(document).encode()

    def enqueue(self, session: Session, entries: Sequence[PendingEntry]) -> None:
        """Queue one transaction's entries, inside the caller's transaction.

        No lock is taken: concurrent writers commit independently, and `sequence` makes
        the entries leaves after the commit (ADR 7).
        """
        if entries:
            session.execute(*self.enqueue_step(entries))

    def enqueue_step(self, entries: Sequence[PendingEntry]) -> tuple[Insert, dict[str, Any]]:
        """The statement and parameters that queue `entries` (for `core.db.execute_as_one`)."""
        return _ENQUEUE, {
            "queued_at": utcnow(),
            "entries": canonical_json(
                [{**vars(entry), "occurred_at": entry.occurred_at.isoformat()} for entry in entries]
            ),
        }

    def sequence(self, session: Session) -> int:
        """Make every queued entry a leaf; returns how many this call sequenced.

        Run after each audited commit (by the unit of work), and as a catch-up at startup,
        before `verify` and before a checkpoint. Within a process one thread at a time asks
        the database: `_wanted` is raised before trying the guard and looked at again by the
        holder after each run, so an entry committed while another thread sequences is
        taken by that thread before it stops. Between processes the head-row lock decides.
        """
        done = 0
        self._wanted = True
        while self._wanted and self._sequencing.acquire(blocking=False):
            try:
                # The caller's own unit of work is still open: others are those beyond it.
                if self._open - 1 >= GATHER_SIBLINGS:
                    time.sleep(GATHER_SECONDS)
                self._wanted = False
                done += self._drain(session)
            finally:
                self._sequencing.release()
        return done

    def _drain(self, session: Session) -> int:
        """Integrate queued batches under the head lock until fewer than a full batch is left.

        The lock is waited for, not skipped: whoever holds it (another process's sequencer)
        may have dequeued before our commit, so we must look at the queue after it is done.
        """
        done = 0
        while True:
            # Lock, then dequeue (prepared statements on PostgreSQL).
            (head,), batches = execute_together(
                session.connection(), [(_LOCK_HEAD, {}), (_DEQUEUE, {})]
            )
            batches.sort()
            entries = [
                PendingEntry(**{**item, "occurred_at": datetime.fromisoformat(item["occurred_at"])})
                for _id, text in batches
                for item in json.loads(text)
            ]
            if entries:
                self._integrate(session, head.tree_size, head.frontier, entries)
            session.commit()
            done += len(entries)
            if len(batches) < DEQUEUE_BATCH:
                return done

    def pending(self, session: Session) -> bool:
        """Whether committed entries wait in the queue."""
        return session.execute(select(QueuedEntries.id).limit(1)).first() is not None

    def append(self, session: Session, entries: Sequence[PendingEntry]) -> list[int]:
        """Write `entries` as the next leaves at once, inside the caller's transaction
        (bulk loads; a unit of work enqueues instead)."""
        if not entries:
            return []
        head = session.execute(_LOCK_HEAD).one()
        return self._integrate(session, head.tree_size, head.frontier, entries)

    def _integrate(
        self, session: Session, size: int, frontier_bytes: bytes, entries: Sequence[PendingEntry]
    ) -> list[int]:
        """Write `entries` as leaves after `size`; the caller holds the head lock.
        Core statements throughout: this runs for every audited transaction."""
        frontier = _frontier_from_bytes(size, frontier_bytes)
        indices: list[int] = []
        rows: list[dict[str, Any]] = []
        nodes: list[dict[str, Any]] = []
        for entry in entries:
            leaf_input = self.leaf_input(entry)
            digest = merkle.leaf_hash(leaf_input)
            created = merkle.nodes_created_by_append(
                lambda level, index: frontier[(level, index)], size, digest
            )
            for level, index, node in created:
                nodes.append({"level": level, "index": index, "hash": node})
                if level > 0:
                    # The two children merged into this node leave the frontier.
                    frontier.pop((level - 1, 2 * index), None)
            top_level, top_index, top_hash = created[-1]
            frontier[(top_level, top_index)] = top_hash
            rows.append(
                {
                    "index": size,
                    "occurred_at": entry.occurred_at,
                    "actor_type": entry.actor_type,
                    "actor_id": entry.actor_id,
                    "action": entry.action,
                    "object_type": entry.object_type,
                    "object_id": entry.object_id,
                    "request_id": entry.request_id,
                    "change_json": entry.change_json,
                    "leaf_input": leaf_input,
                    "leaf_hash": digest,
                }
            )
            indices.append(size)
            size += 1
        head = {
            "tree_size": size,
            "frontier": _frontier_to_bytes(frontier),
            "root_hash": _root_from_frontier(frontier),
            "updated_at": utcnow(),
        }
        # Three tables, no step reading another's rows: one statement on PostgreSQL.
        execute_as_one(
            session.connection(),
            [(_INSERT_ENTRIES, rows), (_INSERT_NODES, nodes), (_UPDATE_HEAD, head)],
        )
        return indices

    # -- reading ---------------------------------------------------------

    def head(self, session: Session) -> TreeHead:
        """The current tree head."""
        return session.execute(select(TreeHead).where(TreeHead.id == HEAD_ID)).scalar_one()

    def checkpoint(self, session: Session) -> Checkpoint:
        """Sign the current tree head as a C2SP tlog-checkpoint body."""
        head = self.head(session)
        text = f"{self.origin}\n{head.tree_size}\n{base64.b64encode(head.root_hash).decode()}\n"
        return Checkpoint(
            tree_size=head.tree_size,
            root_hash=head.root_hash,
            timestamp_ms=int(utcnow().timestamp() * 1000),
            text=text,
            signature=self.keys.log_key.sign(text.encode()),
            public_key=self.keys.log_public_key_raw,
        )

    def _node_reader(self, session: Session) -> Callable[[int, int], bytes]:
        cache: dict[tuple[int, int], bytes] = {}

        def get(level: int, index: int) -> bytes:
            key = (level, index)
            if key not in cache:
                found = session.get(AuditNode, key)
                if found is None:
                    raise KeyError(key)
                cache[key] = found.hash
            return cache[key]

        return get

    def _check_size(self, session: Session, tree_size: int) -> None:
        current = self.head(session).tree_size
        if tree_size > current:
            raise InvalidInput(
                f"tree_size {tree_size} is larger than the log ({current} entries)",
                code="tree_size_too_large",
            )

    def inclusion_proof(
        self, session: Session, leaf_index: int, tree_size: int
    ) -> tuple[bytes, list[bytes]]:
        """The leaf hash and its audit path in the tree of `tree_size` leaves."""
        self._check_size(session, tree_size)
        if not 0 <= leaf_index < tree_size:
            raise InvalidInput(
                f"leaf_index must be in [0, tree_size); got {leaf_index} for size {tree_size}",
                code="leaf_index_out_of_range",
            )
        get = self._node_reader(session)
        return get(0, leaf_index), merkle.inclusion_proof(get, leaf_index, tree_size)

    def consistency_proof(self, session: Session, first: int, second: int) -> list[bytes]:
        """Proof that the tree of `first` leaves is a prefix of the one of `second`."""
        self._check_size(session, second)
        if not 1 <= first <= second:
            raise InvalidInput(
                f"need 1 <= first <= second; got first={first}, second={second}",
                code="invalid_tree_sizes",
            )
        return merkle.consistency_proof(self._node_reader(session), first, second)

    def entries(self, session: Session, start: int, end: int) -> list[AuditEntry]:
        """Entries `start` to `end` inclusive (as RFC 6962 get-entries), at most one page."""
        if start < 0 or end < start:
            raise InvalidInput("need 0 <= start <= end", code="invalid_range")
        end = min(end, start + MAX_ENTRIES_PER_PAGE - 1)
        return list(
            session.execute(
                select(AuditEntry)
                .where(AuditEntry.index >= start, AuditEntry.index <= end)
                .order_by(AuditEntry.index)
            ).scalars()
        )

    # -- verifying -------------------------------------------------------

    def verify(
        self, session: Session, progress: Callable[[int], None] | None = None, batch: int = 2000
    ) -> list[Problem]:
        """Recompute the whole tree from the stored rows; list every mismatch."""
        problems: list[Problem] = []
        head = self.head(session)
        tree = merkle.InMemoryTree()
        expected = 0
        for entry in self._stream(session, batch):
            while expected < entry.index:
                problems.append(Problem(expected, f"entry {expected} is missing"))
                # A placeholder keeps later leaves at their true positions.
                tree.append(b"\x00missing")
                expected += 1
            recomputed = self.leaf_input(entry, _stored_version(entry.leaf_input))
            if recomputed != entry.leaf_input:
                problems.append(
                    Problem(
                        entry.index,
                        f"entry {entry.index} ({entry.action}) was altered: "
                        "its stored fields no longer produce its leaf",
                    )
                )
            if merkle.leaf_hash(entry.leaf_input) != entry.leaf_hash:
                problems.append(Problem(entry.index, f"entry {entry.index}: leaf hash mismatch"))
            tree.append(recomputed)
            expected += 1
            if progress:
                progress(1)
        if expected < head.tree_size:
            for missing in range(expected, head.tree_size):
                problems.append(Problem(missing, f"entry {missing} is missing"))
        elif expected > head.tree_size:
            problems.append(
                Problem(None, f"{expected - head.tree_size} entries lie beyond the tree head")
            )
        if not problems and tree.root(head.tree_size) != head.root_hash:
            problems.append(Problem(None, "the tree head's root does not match the entries"))
        problems.extend(self._verify_nodes(session, tree, min(expected, head.tree_size)))
        return problems

    def _stream(self, session: Session, batch: int) -> Iterator[AuditEntry]:
        last = -1
        while True:
            chunk = list(
                session.execute(
                    select(AuditEntry)
                    .where(AuditEntry.index > last)
                    .order_by(AuditEntry.index)
                    .limit(batch)
                ).scalars()
            )
            if not chunk:
                return
            yield from chunk
            last = chunk[-1].index
            session.expunge_all()

    def _verify_nodes(
        self, session: Session, tree: merkle.InMemoryTree, size: int
    ) -> list[Problem]:
        """Compare the stored interior nodes (used for proofs) with the recomputed ones."""
        problems: list[Problem] = []
        stored = session.execute(select(AuditNode.level, AuditNode.index, AuditNode.hash))
        for level, index, digest in stored:
            first_leaf = index << level
            if first_leaf + (1 << level) > size:
                continue
            if tree.get(level, index) != digest:
                problems.append(
                    Problem(
                        first_leaf,
                        f"stored node covering entries {first_leaf}–"
                        f"{first_leaf + (1 << level) - 1} was altered",
                    )
                )
        return problems

    def count(self, session: Session) -> int:
        """How many entries are stored."""
        return int(session.execute(select(func.count()).select_from(AuditEntry)).scalar_one())


def _stored_version(leaf_input: bytes) -> int:
    """The leaf format a stored entry was written in (entries are never rewritten)."""
    try:
        version = json.loads(leaf_input).get("v")
    except (ValueError, AttributeError):
        return LEAF_VERSION
    return version if version in (1, LEAF_VERSION) else LEAF_VERSION


def catch_up(platform: Platform) -> int:
    """Sequence whatever a crash left queued (startup, `audit verify`, checkpoints)."""
    session = platform.db.write_session()
    try:
        return platform.log.sequence(session)
    finally:
        session.close()


def open_checkpoints() -> Select[*tuple[Any, ...]]:
    """The log's tree head as open data: size, root hash and when it moved (ADR 4).

    The log keeps only its latest head; signed checkpoints are served from it on request.
    """
    return select(
        TreeHead.tree_size.label("tree_size"),
        TreeHead.root_hash.label("root_hash"),
        TreeHead.updated_at.label("updated_at"),
    )
