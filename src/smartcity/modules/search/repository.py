"""Every query of search: stored vectors by key, and the version that moves when some are added."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from smartcity.modules.search.models import StoredVector, VectorState

# SQLite caps a statement's parameters: IN lists go in chunks.
CHUNK = 500


def version(session: Session) -> int:
    """The number that moves whenever vectors are added."""
    return int(session.scalar(select(VectorState.version).where(VectorState.id == 1)) or 0)


def bump_version(session: Session) -> int:
    """Move the version on by one."""
    session.execute(
        update(VectorState).where(VectorState.id == 1).values(version=VectorState.version + 1)
    )
    return version(session)


def vectors(session: Session, keys: Sequence[str]) -> dict[str, np.ndarray]:
    """The stored vectors of `keys` (absent keys are left out)."""
    found: dict[str, np.ndarray] = {}
    for start in range(0, len(keys), CHUNK):
        rows = session.execute(
            select(StoredVector.key, StoredVector.vector).where(
                StoredVector.key.in_(keys[start : start + CHUNK])
            )
        )
        for key, blob in rows:
            found[key] = np.frombuffer(blob, dtype="<f4")
    return found


def stored_keys(session: Session, keys: Sequence[str]) -> set[str]:
    """Which of `keys` have a vector."""
    found: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        found.update(
            session.scalars(
                select(StoredVector.key).where(StoredVector.key.in_(keys[start : start + CHUNK]))
            )
        )
    return found


def add_vectors(session: Session, model: str, rows: Mapping[str, np.ndarray]) -> None:
    """Store new vectors (keys already stored are the caller's to leave out)."""
    session.add_all(
        StoredVector(
            key=key, model=model, dim=int(vector.shape[0]), vector=vector.astype("<f4").tobytes()
        )
        for key, vector in rows.items()
    )
    session.flush()


def count_vectors(session: Session, models: Iterable[str] | None = None) -> int:
    """How many vectors are stored (of `models`, or of all)."""
    query = select(func.count()).select_from(StoredVector)
    if models is not None:
        query = query.where(StoredVector.model.in_(list(models)))
    return int(session.scalar(query) or 0)
