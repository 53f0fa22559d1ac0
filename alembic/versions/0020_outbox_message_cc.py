"""Outbox messages keep their Cc recipients (the e-mail composer's cc field).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 16:20:00
"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = "0020"
down_revision = "0019"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cc", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.drop_column("cc")
