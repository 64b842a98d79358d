"""Statements sent together (one round trip on PostgreSQL) behave as if executed one by one."""

from __future__ import annotations

import uuid
from typing import cast

import pytest
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from smartcity.core.db import execute_together
from smartcity.core.meta import Meta
from smartcity.core.platform import Platform
from smartcity.modules.payments.models import LedgerTransaction

META = cast(Table, Meta.__table__)
INSERT = insert(META)
READ = select(META.c.key, META.c.value).where(META.c.key.startswith(bindparam("prefix")))
RENAME = update(META).where(META.c.key == bindparam("old"))


def test_results_come_back_per_statement_and_values_are_bound_safely(
    platform: Platform,
) -> None:
    awkward = "100% o'clock; DROP TABLE core_meta; -- %(key)s \\ 臺北"
    with platform.db.write_session() as session:
        connection = session.connection()
        results = execute_together(
            connection,
            [
                (INSERT, [{"key": "t.a", "value": awkward}, {"key": "t.b", "value": "2"}]),
                (RENAME, {"old": "t.b", "value": "two"}),
                (READ, {"prefix": "t."}),
            ],
        )
        session.commit()
    assert results[:2] == [[], []]
    assert sorted((row.key, row.value) for row in results[2]) == [("t.a", awkward), ("t.b", "two")]


def test_a_failing_statement_raises_as_sqlalchemy_would_and_nothing_is_kept(
    platform: Platform,
) -> None:
    with platform.db.write_session() as session:
        execute_together(session.connection(), [(INSERT, {"key": "t.once", "value": "1"})])
        session.commit()
    with platform.db.write_session() as session:
        with pytest.raises(IntegrityError):
            execute_together(
                session.connection(),
                [
                    (INSERT, {"key": "t.new", "value": "1"}),
                    (INSERT, {"key": "t.once", "value": "again"}),
                ],
            )
        session.rollback()
    with platform.db.read_session() as session:
        keys = session.execute(select(Meta.key).where(Meta.key.startswith("t."))).scalars().all()
    assert keys == ["t.once"]


def test_a_missing_python_side_default_is_refused_before_anything_is_sent(
    platform: Platform,
) -> None:
    transactions = cast(Table, LedgerTransaction.__table__)
    with platform.db.write_session() as session, pytest.raises(ValueError, match="posted_at"):
        # The id is given; posted_at's default (utcnow) runs only in SQLAlchemy's execute.
        execute_together(
            session.connection(),
            [(insert(transactions), {"id": uuid.uuid4(), "kind": "payment", "reference": "r"})],
        )
