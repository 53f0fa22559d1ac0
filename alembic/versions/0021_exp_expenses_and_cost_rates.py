"""Expenses a person enters (category, markup, a private receipt, the sync stamp) and cost
rates per person with history by date (margin and utilisation, issue 17).

Revision ID: 0021_exp
Revises: 0020
Create Date: 2026-12-03 06:30:00
"""

from datetime import UTC, datetime
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = "0021_exp"
down_revision = "0020"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "costrate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "effective_from", name="uq_costrate_user_day"),
    )
    with op.batch_alter_table("costrate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_costrate_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("expense", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False, server_default="other")
        )
        batch_op.add_column(sa.Column("markup_percent", sa.Numeric(7, 4), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("receipt_document_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_foreign_key("fk_expense_receipt_document", "document", ["receipt_document_id"], ["id"])
    op.execute(
        sa.text("UPDATE expense SET updated_at = :now").bindparams(
            sa.bindparam("now", datetime.now(UTC), type_=sqlmodel.sql.sqltypes.UTCDateTime())
        )
    )
    with op.batch_alter_table("expense", schema=None) as batch_op:
        batch_op.alter_column("updated_at", existing_type=sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("expense", schema=None) as batch_op:
        batch_op.drop_constraint("fk_expense_receipt_document", type_="foreignkey")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("receipt_document_id")
        batch_op.drop_column("markup_percent")
        batch_op.drop_column("category")
    op.drop_table("costrate")
