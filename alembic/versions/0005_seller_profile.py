"""seller profile: the client's tax id (the seller's own profile lives in organisation.settings)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 22:30:26.892116
"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Nullable: existing clients simply have no tax id yet (no server default needed).
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tax_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("tax_id")
