"""PostgreSQL statistics for the Insights reads (issue 17's speed target).

Billing's unbilled figure groups the time entries by (project, budget line, rate). Without
statistics on the three columns together the planner multiplies their distinct counts
(100,000 groups estimated for 2,500 real ones at 1M entries) and sorts a million rows on disk
instead of hashing them: 2x slower. `CREATE STATISTICS ... (ndistinct)` tells it the real
count; ANALYZE (autovacuum on a live install) fills it. SQLite has no such object: nothing to do.

Revision ID: 0022_insights_stats
Revises: 0021_exp
Create Date: 2026-12-03 09:40:00
"""

from typing import Sequence, Union

from alembic import op

revision: str = "0022_insights_stats"
down_revision = "0021_exp"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE STATISTICS IF NOT EXISTS st_timeentry_bill_groups (ndistinct) "
            "ON project_id, budget_line_id, rate_minor FROM timeentry"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS st_timeentry_bill_groups")
