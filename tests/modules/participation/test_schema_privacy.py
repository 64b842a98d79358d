"""No table joins a person to a credential or a ballot: read from the schema itself."""

from __future__ import annotations

from smartcity.core.db import Base
from smartcity.modules.participation import models  # noqa: F401  (registers the tables)

PERSON = {
    "user_id",
    "citizen_id",
    "person_id",
    "national_id",
    "national_id_hash",
    "voter_id",
    # The officers who enter and confirm paper counts are people too.
    "entered_by",
    "confirmed_by",
    "proposed_by",
}
SECRET_OF_THE_BALLOT = {"public_credential", "tracker", "content", "credential"}


def _participation_tables() -> list[object]:
    return [t for name, t in Base.metadata.tables.items() if name.startswith("participation_")]


def test_no_table_holds_a_person_beside_a_credential_or_a_ballot() -> None:
    tables = _participation_tables()
    assert len(tables) >= 4
    for table in tables:
        columns = {c.name for c in table.columns}  # type: ignore[attr-defined]
        assert not (columns & PERSON and columns & SECRET_OF_THE_BALLOT), table


def test_no_participation_table_points_at_identity() -> None:
    for table in _participation_tables():
        for key in table.foreign_keys:  # type: ignore[attr-defined]
            assert key.column.table.name.startswith("participation_"), key


def test_the_vote_lock_says_who_took_a_credential_but_not_which() -> None:
    issuances = Base.metadata.tables["participation_issuances"]
    assert {c.name for c in issuances.columns} == {"id", "vote_id", "user_id"}
