"""livinglab: fields, challenges, proposals, pilots and their KPIs, barriers and outcomes.

Revision ID: livinglab_0001
Revises: identity_0001
Create Date: 2026-11-26 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "livinglab_0001"
down_revision = "identity_0001"
branch_labels = ("livinglab",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "livinglab_challenges",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("domain", sa.String(length=16), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("expected_outcome", sa.Text(), nullable=False),
        sa.Column("field_ids", sa.JSON(), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("round", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_livinglab_challenges")),
    )
    with op.batch_alter_table("livinglab_challenges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_livinglab_challenges_department"), ["department"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_livinglab_challenges_domain"), ["domain"], unique=False
        )

    op.create_table(
        "livinglab_external_pilots",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("origin", sa.String(length=200), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("domain", sa.String(length=16), nullable=False),
        sa.Column("vendor", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("key_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_livinglab_external_pilots")),
        sa.UniqueConstraint(
            "origin", "source_id", name=op.f("uq_livinglab_external_pilots_origin_source_id")
        ),
    )
    op.create_table(
        "livinglab_fields",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("availability", sa.JSON(), nullable=False),
        sa.Column("site_rules", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("domains", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_livinglab_fields")),
    )
    with op.batch_alter_table("livinglab_fields", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_livinglab_fields_department"), ["department"], unique=False
        )

    op.create_table(
        "livinglab_proposals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("vendor", sa.String(length=32), nullable=False),
        sa.Column("challenge_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("technology", sa.Text(), nullable=False),
        sa.Column("domain", sa.String(length=16), nullable=False),
        sa.Column("field_ids", sa.JSON(), nullable=False),
        sa.Column("field_kinds", sa.JSON(), nullable=False),
        sa.Column("duration_weeks", sa.Integer(), nullable=False),
        sa.Column("cost_bearer", sa.String(length=16), nullable=False),
        sa.Column("cost_ntd", sa.BigInteger(), nullable=False),
        sa.Column("data_produced", sa.Text(), nullable=False),
        sa.Column("risks", sa.Text(), nullable=False),
        sa.Column("earliest_start", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["livinglab_challenges.id"],
            name=op.f("fk_livinglab_proposals_challenge_id_livinglab_challenges"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_livinglab_proposals")),
    )
    with op.batch_alter_table("livinglab_proposals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_livinglab_proposals_challenge_id"), ["challenge_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_livinglab_proposals_domain"), ["domain"], unique=False)
        batch_op.create_index(batch_op.f("ix_livinglab_proposals_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_livinglab_proposals_vendor"), ["vendor"], unique=False)

    op.create_table(
        "livinglab_attachments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("proposal_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["livinglab_proposals.id"],
            name=op.f("fk_livinglab_attachments_proposal_id_livinglab_proposals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_livinglab_attachments")),
    )
    with op.batch_alter_table("livinglab_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_livinglab_attachments_proposal_id"), ["proposal_id"], unique=False
        )

    op.create_table(
        "livinglab_pilots",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("proposal_id", sa.Uuid(), nullable=True),
        sa.Column("challenge_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("domain", sa.String(length=16), nullable=False),
        sa.Column("track", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=True),
        sa.Column("vendor", sa.String(length=32), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("agreement_ref", sa.String(length=100), nullable=False),
        sa.Column("agreement_signed_on", sa.Date(), nullable=True),
        sa.Column("decision_reference", sa.String(length=200), nullable=False),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("outcome_summary", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("running_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("running_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["livinglab_challenges.id"],
            name=op.f("fk_livinglab_pilots_challenge_id_livinglab_challenges"),
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["livinglab_proposals.id"],
            name=op.f("fk_livinglab_pilots_proposal_id_livinglab_proposals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_livinglab_pilots")),
        sa.UniqueConstraint("proposal_id", name=op.f("uq_livinglab_pilots_proposal_id")),
    )
    with op.batch_alter_table("livinglab_pilots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_livinglab_pilots_department"), ["department"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_livinglab_pilots_domain"), ["domain"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_livinglab_pilots_published"), ["published"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_livinglab_pilots_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_livinglab_pilots_track"), ["track"], unique=False)
        batch_op.create_index(batch_op.f("ix_livinglab_pilots_vendor"), ["vendor"], unique=False)
        batch_op.create_index(batch_op.f("ix_livinglab_pilots_year"), ["year"], unique=False)

    op.create_table(
        "livinglab_barriers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pilot_id", sa.Uuid(), nullable=True),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("law", sa.String(length=200), nullable=False),
        sa.Column("article", sa.String(length=100), nullable=False),
        sa.Column("blocks", sa.Text(), nullable=False),
        sa.Column("workaround", sa.Text(), nullable=False),
        sa.Column("amendment", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pilot_id"],
            ["livinglab_pilots.id"],
            name=op.f("fk_livinglab_barriers_pilot_id_livinglab_pilots"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_livinglab_barriers")),
    )
    with op.batch_alter_table("livinglab_barriers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_livinglab_barriers_pilot_id"), ["pilot_id"], unique=False
        )

    op.create_table(
        "livinglab_bookings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("field_id", sa.Uuid(), nullable=False),
        sa.Column("pilot_id", sa.Uuid(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["field_id"],
            ["livinglab_fields.id"],
            name=op.f("fk_livinglab_bookings_field_id_livinglab_fields"),
        ),
        sa.ForeignKeyConstraint(
            ["pilot_id"],
            ["livinglab_pilots.id"],
            name=op.f("fk_livinglab_bookings_pilot_id_livinglab_pilots"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_livinglab_bookings")),
    )
    with op.batch_alter_table("livinglab_bookings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_livinglab_bookings_field_id"), ["field_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_livinglab_bookings_pilot_id"), ["pilot_id"], unique=False
        )

    op.create_table(
        "livinglab_feedback",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pilot_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("ease", sa.Integer(), nullable=True),
        sa.Column("would_use", sa.Boolean(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pilot_id"],
            ["livinglab_pilots.id"],
            name=op.f("fk_livinglab_feedback_pilot_id_livinglab_pilots"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_livinglab_feedback")),
        sa.UniqueConstraint(
            "pilot_id", "user_id", name=op.f("uq_livinglab_feedback_pilot_id_user_id")
        ),
    )
    with op.batch_alter_table("livinglab_feedback", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_livinglab_feedback_pilot_id"), ["pilot_id"], unique=False
        )

    op.create_table(
        "livinglab_kpis",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pilot_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=True),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("statistic", sa.String(length=16), nullable=False),
        sa.Column("datastream_ids", sa.JSON(), nullable=False),
        sa.Column("thing_ids", sa.JSON(), nullable=False),
        sa.Column("device_ids", sa.JSON(), nullable=False),
        sa.Column("quantity", sa.String(length=16), nullable=False),
        sa.Column("expected_interval_s", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pilot_id"],
            ["livinglab_pilots.id"],
            name=op.f("fk_livinglab_kpis_pilot_id_livinglab_pilots"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_livinglab_kpis")),
    )
    with op.batch_alter_table("livinglab_kpis", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_livinglab_kpis_pilot_id"), ["pilot_id"], unique=False)

    op.create_table(
        "livinglab_milestones",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pilot_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["pilot_id"],
            ["livinglab_pilots.id"],
            name=op.f("fk_livinglab_milestones_pilot_id_livinglab_pilots"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_livinglab_milestones")),
    )
    with op.batch_alter_table("livinglab_milestones", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_livinglab_milestones_pilot_id"), ["pilot_id"], unique=False
        )

    op.create_table(
        "livinglab_reports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pilot_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_role", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pilot_id"],
            ["livinglab_pilots.id"],
            name=op.f("fk_livinglab_reports_pilot_id_livinglab_pilots"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_livinglab_reports")),
    )
    with op.batch_alter_table("livinglab_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_livinglab_reports_pilot_id"), ["pilot_id"], unique=False
        )

    op.create_table(
        "livinglab_scores",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pilot_id", sa.Uuid(), nullable=False),
        sa.Column("criterion", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("scorer_id", sa.String(length=64), nullable=False),
        sa.Column("scorer_kind", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pilot_id"],
            ["livinglab_pilots.id"],
            name=op.f("fk_livinglab_scores_pilot_id_livinglab_pilots"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_livinglab_scores")),
        sa.UniqueConstraint(
            "pilot_id",
            "criterion",
            "scorer_id",
            name=op.f("uq_livinglab_scores_pilot_id_criterion_scorer_id"),
        ),
    )
    with op.batch_alter_table("livinglab_scores", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_livinglab_scores_pilot_id"), ["pilot_id"], unique=False
        )

    op.create_table(
        "livinglab_transitions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pilot_id", sa.Uuid(), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pilot_id"],
            ["livinglab_pilots.id"],
            name=op.f("fk_livinglab_transitions_pilot_id_livinglab_pilots"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_livinglab_transitions")),
    )
    with op.batch_alter_table("livinglab_transitions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_livinglab_transitions_pilot_id"), ["pilot_id"], unique=False
        )

    op.create_table(
        "livinglab_booking_days",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("field_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["livinglab_bookings.id"],
            name=op.f("fk_livinglab_booking_days_booking_id_livinglab_bookings"),
        ),
        sa.ForeignKeyConstraint(
            ["field_id"],
            ["livinglab_fields.id"],
            name=op.f("fk_livinglab_booking_days_field_id_livinglab_fields"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_livinglab_booking_days")),
        sa.UniqueConstraint(
            "field_id", "day", "slot", name=op.f("uq_livinglab_booking_days_field_id_day_slot")
        ),
    )
    with op.batch_alter_table("livinglab_booking_days", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_livinglab_booking_days_booking_id"), ["booking_id"], unique=False
        )

    op.create_table(
        "livinglab_measurements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kpi_id", sa.Uuid(), nullable=False),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["kpi_id"],
            ["livinglab_kpis.id"],
            name=op.f("fk_livinglab_measurements_kpi_id_livinglab_kpis"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_livinglab_measurements")),
    )
    with op.batch_alter_table("livinglab_measurements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_livinglab_measurements_kpi_id"), ["kpi_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("livinglab_measurements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_livinglab_measurements_kpi_id"))

    op.drop_table("livinglab_measurements")
    with op.batch_alter_table("livinglab_booking_days", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_livinglab_booking_days_booking_id"))

    op.drop_table("livinglab_booking_days")
    with op.batch_alter_table("livinglab_transitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_livinglab_transitions_pilot_id"))

    op.drop_table("livinglab_transitions")
    with op.batch_alter_table("livinglab_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_livinglab_scores_pilot_id"))

    op.drop_table("livinglab_scores")
    with op.batch_alter_table("livinglab_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_livinglab_reports_pilot_id"))

    op.drop_table("livinglab_reports")
    with op.batch_alter_table("livinglab_milestones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_livinglab_milestones_pilot_id"))

    op.drop_table("livinglab_milestones")
    with op.batch_alter_table("livinglab_kpis", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_livinglab_kpis_pilot_id"))

    op.drop_table("livinglab_kpis")
    with op.batch_alter_table("livinglab_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_livinglab_feedback_pilot_id"))

    op.drop_table("livinglab_feedback")
    with op.batch_alter_table("livinglab_bookings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_livinglab_bookings_pilot_id"))
        batch_op.drop_index(batch_op.f("ix_livinglab_bookings_field_id"))

    op.drop_table("livinglab_bookings")
    with op.batch_alter_table("livinglab_barriers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_livinglab_barriers_pilot_id"))

    op.drop_table("livinglab_barriers")
    with op.batch_alter_table("livinglab_pilots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_livinglab_pilots_year"))
        batch_op.drop_index(batch_op.f("ix_livinglab_pilots_vendor"))
        batch_op.drop_index(batch_op.f("ix_livinglab_pilots_track"))
        batch_op.drop_index(batch_op.f("ix_livinglab_pilots_state"))
        batch_op.drop_index(batch_op.f("ix_livinglab_pilots_published"))
        batch_op.drop_index(batch_op.f("ix_livinglab_pilots_domain"))
        batch_op.drop_index(batch_op.f("ix_livinglab_pilots_department"))

    op.drop_table("livinglab_pilots")
    with op.batch_alter_table("livinglab_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_livinglab_attachments_proposal_id"))

    op.drop_table("livinglab_attachments")
    with op.batch_alter_table("livinglab_proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_livinglab_proposals_vendor"))
        batch_op.drop_index(batch_op.f("ix_livinglab_proposals_status"))
        batch_op.drop_index(batch_op.f("ix_livinglab_proposals_domain"))
        batch_op.drop_index(batch_op.f("ix_livinglab_proposals_challenge_id"))

    op.drop_table("livinglab_proposals")
    with op.batch_alter_table("livinglab_fields", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_livinglab_fields_department"))

    op.drop_table("livinglab_fields")
    op.drop_table("livinglab_external_pilots")
    with op.batch_alter_table("livinglab_challenges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_livinglab_challenges_domain"))
        batch_op.drop_index(batch_op.f("ix_livinglab_challenges_department"))

    op.drop_table("livinglab_challenges")
