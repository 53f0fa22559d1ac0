"""Round-robin's "newest lead of each user" as one index lookup on PostgreSQL too (issue 18).

`choose_owner` reads max(lead.id) per user of the rotation. On SQLite the index on
lead.owner_id holds the rowid, so that max is one lookup; on PostgreSQL the index holds heap
positions, not ids, so each max read every lead of the user (a bitmap heap scan): lead capture
slowed as the table grew (211 leads/s for the first 2,000 down to 165 after 10,000; the
statement from 0.6 to 1.6 ms, 6.5 ms at 6,000 leads per user). An index on (owner_id, id)
answers each max from the end of the user's range (index-only scan backward, 0.17 ms at any
size). It replaces the index on owner_id alone, which it covers (owner filters, the foreign key).

Revision ID: 0023_lead_owner_id_index
Revises: 0022_insights_stats
Create Date: 2026-12-03 14:00:00
"""

from typing import Sequence, Union

from alembic import op

revision: str = "0023_lead_owner_id_index"
down_revision = "0022_insights_stats"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("ix_lead_owner_id_id", "lead", ["owner_id", "id"])
    op.drop_index("ix_lead_owner_id", table_name="lead")


def downgrade() -> None:
    op.create_index("ix_lead_owner_id", "lead", ["owner_id"])
    op.drop_index("ix_lead_owner_id_id", table_name="lead")
