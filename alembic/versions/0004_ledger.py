"""Ledger: payment reversal, client credit applied, partial credit notes, write-offs, delivery state.

New money columns are BigInteger with a server default of 0 (the invoice table holds rows).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 22:29:21.361630
"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivery", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True))
        batch_op.add_column(sa.Column("credited_minor", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("written_off_minor", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("written_off_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("write_off_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))

    with op.batch_alter_table("invoiceline", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credits_line_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_invoiceline_credits_line_id"), ["credits_line_id"], unique=False)
        batch_op.create_foreign_key("fk_invoiceline_credits_line_id", "invoiceline", ["credits_line_id"], ["id"])

    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reversed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("reversal_reason", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True))
        batch_op.add_column(sa.Column("reversed_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_payment_reversed_by_id", "user", ["reversed_by_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_constraint("fk_payment_reversed_by_id", type_="foreignkey")
        batch_op.drop_column("reversed_by_id")
        batch_op.drop_column("reversal_reason")
        batch_op.drop_column("reversed_at")

    with op.batch_alter_table("invoiceline", schema=None) as batch_op:
        batch_op.drop_constraint("fk_invoiceline_credits_line_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_invoiceline_credits_line_id"))
        batch_op.drop_column("credits_line_id")

    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_column("write_off_reason")
        batch_op.drop_column("written_off_at")
        batch_op.drop_column("written_off_minor")
        batch_op.drop_column("credited_minor")
        batch_op.drop_column("delivery")
