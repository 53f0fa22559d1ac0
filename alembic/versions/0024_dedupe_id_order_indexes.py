"""Dedupe's lookups read their first rows in id order from an index (issue 18).

`leads.capture.find_duplicate` asks for the first open leads with an e-mail and with a domain
(`email = ? ... ORDER BY id LIMIT 10`, `email_domain = ? ... ORDER BY id LIMIT 10`), then the
first contact with the e-mail or of the domain's first account (`... ORDER BY id LIMIT 1`). On
SQLite an index on one column ends with the rowid, so these are index range scans in id order; on
PostgreSQL such an index holds heap positions, not ids: each lookup fetched every matching row
then sorted it, or the planner walked the primary key in id order filtering the column (a read
that grows with the table). An index on (column, id) answers each from the start of its range,
in order, and stops at the limit. Each replaces the index on the column alone, which it covers
(`email IN (...)`, plain filters, the foreign key).

Revision ID: 0024_dedupe_id_order_indexes
Revises: 0023_lead_owner_id_index
Create Date: 2026-12-03 17:30:00
"""

from typing import Sequence, Union

from alembic import op

revision: str = "0024_dedupe_id_order_indexes"
down_revision = "0023_lead_owner_id_index"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# (table, column): the old index ix_<table>_<column> becomes ix_<table>_<column>_id
COLUMNS = (
    ("lead", "email"),
    ("lead", "email_domain"),
    ("contact", "email"),
    ("contact", "account_id"),
    ("account", "domain"),
)


def upgrade() -> None:
    for table, column in COLUMNS:
        op.create_index(f"ix_{table}_{column}_id", table, [column, "id"])
        op.drop_index(f"ix_{table}_{column}", table_name=table)


def downgrade() -> None:
    for table, column in COLUMNS:
        op.create_index(f"ix_{table}_{column}", table, [column])
        op.drop_index(f"ix_{table}_{column}_id", table_name=table)
