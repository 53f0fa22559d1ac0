"""Week submissions (a person hands in a week for approval), removed draft lines (to restore them), and `updated_at` (the sync stamp behind `?updated_since=`) on every table a list route returns.

Existing rows take their `created_at` (or the migration's instant where the table has none).

Revision ID: 0018
Revises: 0017
"""

from datetime import UTC, datetime
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0018"
down_revision = "0017"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# table -> the column existing rows are stamped from (None: the migration's instant)
TABLES = {
    "lead": "created_at",
    "pipelinestage": None,
    "contract": "created_at",
    "invoice": "created_at",
    "account": "created_at",
    "contact": "created_at",
    "taxrate": None,
    "catalogitem": None,
    "user": "created_at",
    "apikey": "created_at",
    "webhookdelivery": "created_at",
    "exportbatch": "created_at",
    "contractsigner": None,
    "projectmember": None,
    "budgetline": None,
}


def upgrade() -> None:
    op.create_table(
        "weeksubmission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("submitted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "week_start", name="uq_week_submission"),
    )
    op.create_table(
        "removedinvoiceline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("line", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("removed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("restored_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("restored_line_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("removedinvoiceline", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_removedinvoiceline_invoice_id"), ["invoice_id"], unique=False)
    now = datetime.now(UTC)
    for table, source in TABLES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        quoted = op.get_bind().dialect.identifier_preparer.quote(table)
        stamp = f"COALESCE({source}, :now)" if source else ":now"
        op.execute(
            sa.text(f"UPDATE {quoted} SET updated_at = {stamp}").bindparams(
                sa.bindparam("now", now, type_=sqlmodel.sql.sqltypes.UTCDateTime())
            )
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("updated_at", existing_type=sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False)


def downgrade() -> None:
    op.drop_table("weeksubmission")
    op.drop_table("removedinvoiceline")
    for table in reversed(list(TABLES)):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("updated_at")
