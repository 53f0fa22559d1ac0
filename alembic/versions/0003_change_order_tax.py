"""change orders carry the tax the client approved

Revision ID: 0003
Revises: 0002

A change order keeps its tax as shown to the client (percent, inclusive, amount), so the
invoice charges exactly what was approved. Existing change orders that name a tax rate
get that rate's figures; the others keep 0 % (what their client saw).
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _line_tax(amount: int, percent: Decimal, inclusive: bool) -> int:
    # The line rule of core/lines as of this revision (kept here: a migration must not change
    # when the app's code does): the rate on the rounded amount, rounded once, half-up.
    if percent == 0:
        return 0
    exact = Decimal(amount) * percent / ((Decimal(100) + percent) if inclusive else Decimal(100))
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def upgrade() -> None:
    with op.batch_alter_table("changeorder", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("tax_percent", sa.Numeric(precision=7, scale=4), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("tax_inclusive", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("tax_minor", sa.BigInteger(), server_default="0", nullable=False))
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT c.id, c.amount_minor, t.percent, t.inclusive FROM changeorder c "
            "JOIN taxrate t ON t.id = c.tax_rate_id"
        )
    ).all()
    for co_id, amount, percent, inclusive in rows:
        pct = Decimal(str(percent))
        conn.execute(
            sa.text(
                "UPDATE changeorder SET tax_percent = :p, tax_inclusive = :i, tax_minor = :t WHERE id = :id"
            ).bindparams(sa.bindparam("p", type_=sa.Numeric(7, 4)), sa.bindparam("i", type_=sa.Boolean())),
            {"p": pct, "i": bool(inclusive), "t": _line_tax(int(amount), pct, bool(inclusive)), "id": co_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("changeorder", schema=None) as batch_op:
        batch_op.drop_column("tax_minor")
        batch_op.drop_column("tax_inclusive")
        batch_op.drop_column("tax_percent")
