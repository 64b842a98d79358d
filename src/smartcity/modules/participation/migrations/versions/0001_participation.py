"""participation: issues and votes, seconds, trustees, credentials, the vote lock, the board.

Revision ID: participation_0001
Revises: identity_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "participation_0001"
down_revision = "identity_0001"
branch_labels = ("participation",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "participation_votes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=True),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("eligibility", sa.JSON(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("proposed_by", sa.Uuid(), nullable=True),
        sa.Column("seconds_needed", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("seconding_closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decisions", sa.JSON(), nullable=False),
        sa.Column("follow_up", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("election_uuid", sa.String(length=32), nullable=True),
        sa.Column("election", sa.Text(), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("archive_timestamp", sa.Integer(), nullable=True),
        sa.Column("ballots_cast", sa.Integer(), nullable=False),
        sa.Column("encrypted_tally", sa.JSON(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("archive_hash", sa.String(length=64), nullable=True),
        sa.Column("tallied_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_votes")),
        sa.UniqueConstraint("election_uuid", name=op.f("uq_participation_votes_election_uuid")),
    )
    op.create_index(
        op.f("ix_participation_votes_department_code"), "participation_votes", ["department_code"]
    )
    op.create_index(op.f("ix_participation_votes_stage"), "participation_votes", ["stage"])
    op.create_table(
        "participation_seconds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("vote_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("seconded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["vote_id"],
            ["participation_votes.id"],
            name=op.f("fk_participation_seconds_vote_id_participation_votes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_seconds")),
        sa.UniqueConstraint(
            "vote_id", "user_id", name=op.f("uq_participation_seconds_vote_id_user_id")
        ),
    )
    op.create_index(op.f("ix_participation_seconds_vote_id"), "participation_seconds", ["vote_id"])
    op.create_table(
        "participation_trustees",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("vote_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=16), nullable=False),
        sa.Column("public_key", sa.JSON(), nullable=False),
        sa.Column("private_key", sa.Text(), nullable=True),
        sa.Column("decryption", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["vote_id"],
            ["participation_votes.id"],
            name=op.f("fk_participation_trustees_vote_id_participation_votes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_trustees")),
        sa.UniqueConstraint(
            "vote_id", "position", name=op.f("uq_participation_trustees_vote_id_position")
        ),
    )
    op.create_index(
        op.f("ix_participation_trustees_vote_id"), "participation_trustees", ["vote_id"]
    )
    op.create_table(
        "participation_credentials",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("vote_id", sa.Uuid(), nullable=False),
        sa.Column("public_credential", sa.String(length=700), nullable=False),
        sa.ForeignKeyConstraint(
            ["vote_id"],
            ["participation_votes.id"],
            name=op.f("fk_participation_credentials_vote_id_participation_votes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_credentials")),
        sa.UniqueConstraint(
            "vote_id",
            "public_credential",
            name=op.f("uq_participation_credentials_vote_id_public_credential"),
        ),
    )
    op.create_index(
        op.f("ix_participation_credentials_vote_id"), "participation_credentials", ["vote_id"]
    )
    op.create_table(
        "participation_issuances",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("vote_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["vote_id"],
            ["participation_votes.id"],
            name=op.f("fk_participation_issuances_vote_id_participation_votes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_issuances")),
        sa.UniqueConstraint(
            "vote_id", "user_id", name=op.f("uq_participation_issuances_vote_id_user_id")
        ),
    )
    op.create_index(
        op.f("ix_participation_issuances_vote_id"), "participation_issuances", ["vote_id"]
    )
    op.create_table(
        "participation_ballots",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("vote_id", sa.Uuid(), nullable=False),
        sa.Column("public_credential", sa.String(length=700), nullable=False),
        sa.Column("tracker", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["vote_id"],
            ["participation_votes.id"],
            name=op.f("fk_participation_ballots_vote_id_participation_votes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_ballots")),
        sa.UniqueConstraint(
            "vote_id",
            "public_credential",
            name=op.f("uq_participation_ballots_vote_id_public_credential"),
        ),
    )
    op.create_index(op.f("ix_participation_ballots_vote_id"), "participation_ballots", ["vote_id"])
    op.create_index(op.f("ix_participation_ballots_tracker"), "participation_ballots", ["tracker"])


def downgrade() -> None:
    for table in ("ballots", "issuances", "credentials", "trustees", "seconds", "votes"):
        op.drop_table(f"participation_{table}")
