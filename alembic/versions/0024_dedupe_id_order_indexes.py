"""Dedupe's lookups read their first rows in id order from an index (issue 18).

`leads.capture.find_duplicate` asks for the first open leads with an e-mail and with a domain
(`email = ? ... ORDER BY id LIMIT 10`, `email_domain = ? ... ORDER BY id LIMIT 10`), then the
first contact with the e-mail or of the domain's first account (`... ORDER BY id LIMIT 1`). On
SQLite an index on one column ends with the rowid, so these are index range scans in id order; on
PostgreSQL such an index holds heap positions, not ids: each lookup fetched every matching row
then sorted it, or the planner walked the primary key in id order filtering the column (a read
that grows with the table). An index on (column, id) answers each from the start of its range,
in order, and stops at the limit; the open leads' two lookups have partial indexes (see PARTIAL).
Each replaces the index on the column alone, which it covers (`email IN (...)`, plain filters,
the foreign key).

Revision ID: 0024_dedupe_id_order_indexes
Revises: 0023_lead_owner_id_index
Create Date: 2026-12-03 17:30:00
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0024_dedupe_id_order_indexes"
down_revision = "0023_lead_owner_id_index"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OPEN_LEAD = "status IN ('new', 'qualified')"  # as l2c_app.leads.models.OPEN_LEAD (a migration keeps its own copy)

# (table, old single-column index's column, new index's columns)
INDEXES = (
    ("lead", "email", ["email", "id"]),
    ("contact", "email", ["email", "id"]),
    ("contact", "account_id", ["account_id", "id"]),
    ("account", "domain", ["domain", "id"]),
)
# The open leads' dedupe lookups: partial indexes on (email, id) and (email_domain, id). With a
# plain index the planner, without statistics (autovacuum off, or before its first ANALYZE),
# intersected it with the status index (a BitmapAnd reading every open lead's entry: 13 ms at
# 78,000 leads, growing); with statistics, on (email_domain, id) alone, it still walked the
# primary key for a domain it counts as frequent.
PARTIAL = (("ix_lead_open_email_id", ["email", "id"]), ("ix_lead_open_email_domain_id", ["email_domain", "id"]))


def upgrade() -> None:
    for table, column, columns in INDEXES:
        op.create_index(f"ix_{table}_{'_'.join(columns)}", table, columns)
        op.drop_index(f"ix_{table}_{column}", table_name=table)
    for name, columns in PARTIAL:
        op.create_index(name, "lead", columns, postgresql_where=sa.text(OPEN_LEAD), sqlite_where=sa.text(OPEN_LEAD))
    op.drop_index("ix_lead_email_domain", table_name="lead")


def downgrade() -> None:
    op.create_index("ix_lead_email_domain", "lead", ["email_domain"])
    for name, _ in PARTIAL:
        op.drop_index(name, table_name="lead")
    for table, column, columns in INDEXES:
        op.create_index(f"ix_{table}_{column}", table, [column])
        op.drop_index(f"ix_{table}_{'_'.join(columns)}", table_name=table)
