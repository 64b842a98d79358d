"""identity: people, organisations, credentials, bindings, OAuth clients.

Revision ID: identity_0001
Revises: core_0001
Create Date: 2026-11-26 07:27:56.536205
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "identity_0001"
down_revision = "core_0001"
branch_labels = ("identity",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_oauth_clients",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("redirect_uris", sa.JSON(), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=True),
        sa.Column("first_party", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_identity_oauth_clients")),
    )
    op.create_table(
        "identity_organisations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_organisations")),
        sa.UniqueConstraint("code", name=op.f("uq_identity_organisations_code")),
    )
    with op.batch_alter_table("identity_organisations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_organisations_kind"), ["kind"], unique=False)

    op.create_table(
        "identity_users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("national_id_hash", sa.String(length=64), nullable=True),
        sa.Column("national_id_masked", sa.String(length=16), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("verification_level", sa.String(length=16), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("staff_roles", sa.JSON(), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["identity_organisations.id"],
            name=op.f("fk_identity_users_department_id_identity_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_users")),
        sa.UniqueConstraint("email", name=op.f("uq_identity_users_email")),
        sa.UniqueConstraint("national_id_hash", name=op.f("uq_identity_users_national_id_hash")),
    )
    with op.batch_alter_table("identity_users", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identity_users_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_identity_users_role"), ["role"], unique=False)

    op.create_table(
        "identity_api_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("organisation_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["identity_organisations.id"],
            name=op.f("fk_identity_api_keys_organisation_id_identity_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_users.id"],
            name=op.f("fk_identity_api_keys_user_id_identity_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_identity_api_keys_prefix")),
    )
    with op.batch_alter_table("identity_api_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identity_api_keys_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_identity_api_keys_user_id"), ["user_id"], unique=False)

    op.create_table(
        "identity_bindings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=100), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=True),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["identity_organisations.id"],
            name=op.f("fk_identity_bindings_provider_id_identity_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_users.id"],
            name=op.f("fk_identity_bindings_user_id_identity_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_bindings")),
    )
    with op.batch_alter_table("identity_bindings", schema=None) as batch_op:
        batch_op.create_index("ix_identity_bindings_kind_value", ["kind", "value"], unique=False)
        batch_op.create_index(batch_op.f("ix_identity_bindings_user_id"), ["user_id"], unique=False)

    op.create_table(
        "identity_external_accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_users.id"],
            name=op.f("fk_identity_external_accounts_user_id_identity_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_external_accounts")),
    )
    with op.batch_alter_table("identity_external_accounts", schema=None) as batch_op:
        batch_op.create_index(
            "uq_identity_external_accounts_provider_subject", ["provider", "subject"], unique=True
        )

    op.create_table(
        "identity_oauth_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("redirect_uri", sa.String(length=500), nullable=False),
        sa.Column("scope", sa.String(length=500), nullable=False),
        sa.Column("code_challenge", sa.String(length=128), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["identity_oauth_clients.client_id"],
            name=op.f("fk_identity_oauth_codes_client_id_identity_oauth_clients"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_users.id"],
            name=op.f("fk_identity_oauth_codes_user_id_identity_users"),
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_identity_oauth_codes")),
    )
    op.create_table(
        "identity_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_users.id"],
            name=op.f("fk_identity_sessions_user_id_identity_users"),
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_identity_sessions")),
    )
    with op.batch_alter_table("identity_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_sessions_user_id"), ["user_id"], unique=False)
    # The portal is the platform's own first-party OAuth client; it redirects to a
    # same-site path, so it works under any host name.
    clients = sa.table(
        "identity_oauth_clients",
        sa.column("client_id", sa.String),
        sa.column("name", sa.String),
        sa.column("redirect_uris", sa.JSON),
        sa.column("scopes", sa.JSON),
        sa.column("secret_hash", sa.String),
        sa.column("first_party", sa.Boolean),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(
        clients,
        [
            {
                "client_id": "portal",
                "name": "市民入口網 Citizen portal",
                "redirect_uris": ["/auth/callback"],
                "scopes": ["openid", "profile", "bindings", "payments", "services"],
                "secret_hash": None,
                "first_party": True,
                "created_at": datetime.now(UTC),
            }
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("identity_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_sessions_user_id"))

    op.drop_table("identity_sessions")
    op.drop_table("identity_oauth_codes")
    with op.batch_alter_table("identity_external_accounts", schema=None) as batch_op:
        batch_op.drop_index("uq_identity_external_accounts_provider_subject")

    op.drop_table("identity_external_accounts")
    with op.batch_alter_table("identity_bindings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_bindings_user_id"))
        batch_op.drop_index("ix_identity_bindings_kind_value")

    op.drop_table("identity_bindings")
    with op.batch_alter_table("identity_api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_api_keys_user_id"))
        batch_op.drop_index(batch_op.f("ix_identity_api_keys_organisation_id"))

    op.drop_table("identity_api_keys")
    with op.batch_alter_table("identity_users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_users_role"))
        batch_op.drop_index(batch_op.f("ix_identity_users_department_id"))

    op.drop_table("identity_users")
    with op.batch_alter_table("identity_organisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_organisations_kind"))

    op.drop_table("identity_organisations")
    op.drop_table("identity_oauth_clients")
