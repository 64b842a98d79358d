"""Statements sent together (one round trip on PostgreSQL), or writes sent as one statement,
behave as if executed one by one."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import cast

import pytest
from sqlalchemy import Connection, Table, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from smartcity.core.db import AS_ONE_PARAMETERS, Step, execute_as_one, execute_together
from smartcity.core.meta import Meta
from smartcity.core.platform import Platform
from smartcity.modules.payments.models import LedgerEntry, LedgerTransaction

META = cast(Table, Meta.__table__)
INSERT = insert(META)
READ = select(META.c.key, META.c.value).where(META.c.key.startswith(bindparam("prefix")))
RENAME = update(META).where(META.c.key == bindparam("old"))
Execute = Callable[[Connection, Sequence[Step]], object]


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


BOTH = pytest.mark.parametrize("execute", [execute_together, execute_as_one])


@BOTH
def test_a_failing_statement_raises_as_sqlalchemy_would_and_nothing_is_kept(
    platform: Platform, execute: Execute
) -> None:
    with platform.db.write_session() as session:
        execute(session.connection(), [(INSERT, {"key": "t.once", "value": "1"})])
        session.commit()
    with platform.db.write_session() as session:
        with pytest.raises(IntegrityError):
            execute(
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


@BOTH
def test_a_missing_python_side_default_is_refused_before_anything_is_sent(
    platform: Platform, execute: Execute
) -> None:
    transactions = cast(Table, LedgerTransaction.__table__)
    with platform.db.write_session() as session, pytest.raises(ValueError, match="posted_at"):
        # The id is given; posted_at's default (utcnow) runs only in SQLAlchemy's execute.
        execute(
            session.connection(),
            [(insert(transactions), {"id": uuid.uuid4(), "kind": "payment", "reference": "r"})],
        )


def test_writes_as_one_statement_keep_every_row_and_parents_before_children(
    platform: Platform,
) -> None:
    # A ledger line refers to a transaction written in the same statement: the foreign key
    # is checked when the statement ends, so the order of the steps is enough.
    transactions = cast(Table, LedgerTransaction.__table__)
    entries = cast(Table, LedgerEntry.__table__)
    awkward = "50% $1 o'clock %(key)s; --"
    posted = datetime.now(UTC)
    transaction_id = uuid.uuid4()
    with platform.db.write_session() as session:
        execute_as_one(session.connection(), [(INSERT, {"key": "t.y", "value": "2"})])
        session.commit()
    with platform.db.write_session() as session:
        execute_as_one(
            session.connection(),
            [
                (RENAME, {"old": "t.y", "value": "two"}),
                (INSERT, {"key": "t.x", "value": awkward}),
                (
                    insert(transactions),
                    {
                        "id": transaction_id,
                        "kind": "payment",
                        "reference": awkward,
                        "bill_id": None,
                        "posted_at": posted,
                    },
                ),
                (
                    insert(entries),
                    [
                        {
                            "transaction_id": transaction_id,
                            "account": account,
                            "debit": debit,
                            "credit": credit,
                            "posted_at": posted,
                        }
                        for account, debit, credit in (("a", 7, 0), ("b", 0, 7))
                    ],
                ),
            ],
        )
        session.commit()
    with platform.db.read_session() as session:
        meta = {
            row.key: row.value
            for row in session.execute(
                select(Meta.key, Meta.value).where(Meta.key.startswith("t."))
            )
        }
        lines = session.execute(
            select(LedgerEntry.account, LedgerEntry.debit, LedgerEntry.credit).where(
                LedgerEntry.transaction_id == transaction_id
            )
        ).all()
        reference = session.get(LedgerTransaction, transaction_id).reference  # type: ignore[union-attr]
    assert meta == {"t.x": awkward, "t.y": "two"}
    assert sorted(tuple(line) for line in lines) == [("a", 7, 0), ("b", 0, 7)]
    assert reference == awkward


def test_writes_as_one_statement_refuse_to_change_what_an_earlier_step_wrote(
    platform: Platform,
) -> None:
    # On PostgreSQL the update would not see the inserted row; refused on every database.
    with platform.db.write_session() as session, pytest.raises(ValueError, match="core_meta"):
        execute_as_one(
            session.connection(),
            [(INSERT, {"key": "t.z", "value": "1"}), (RENAME, {"old": "t.z", "value": "2"})],
        )


def test_a_bulk_load_too_big_for_one_statement_goes_one_by_one(platform: Platform) -> None:
    # Each row carries two values: this is more than one statement takes.
    rows = [{"key": f"t.bulk{i:04}", "value": str(i)} for i in range(AS_ONE_PARAMETERS)]
    with platform.db.write_session() as session:
        execute_as_one(session.connection(), [(INSERT, rows)])
        session.commit()
    with platform.db.read_session() as session:
        stored = session.execute(
            select(func.count()).select_from(META).where(META.c.key.startswith("t.bulk"))
        ).scalar_one()
    assert stored == AS_ONE_PARAMETERS


def test_parameters_read_by_plan_are_those_sqlalchemy_would_bind() -> None:
    # The PostgreSQL path reads each parameter straight from the row (or the statement's
    # own constant) instead of SQLAlchemy's construct_params; both must give the same.
    from sqlalchemy.dialects.postgresql import psycopg

    from smartcity.core.db import _PLACEHOLDER, _numbered, _rendered, _values
    from smartcity.modules.payments import posting

    dialect = psycopg.dialect()  # type: ignore[no-untyped-call]
    cases = [
        (
            posting._POSTING_QUERIES["write_off_number"],
            {"reference": "0" * 16, "provider": "BOT", "txn": "t-1"},
        ),
        (RENAME, {"old": "t.a", "value": "50% 'x'"}),
        (INSERT, {"key": "t.b", "value": "b"}),
    ]
    for statement, row in cases:
        keys = tuple(sorted(row))
        _text, (plan,) = _numbered(dialect, ((statement, keys),))
        compiled = _rendered(dialect, statement, keys)
        names = dict.fromkeys(m.group(1) for m in _PLACEHOLDER.finditer(compiled.string))
        by_sqlalchemy = _values((compiled, tuple(name for name in names if name)), row)
        assert _values(plan, row) == by_sqlalchemy
        assert not isinstance(plan[0], type(compiled))  # the plan, not the fallback
