"""Domain events: what happened, written in the transaction that made it happen."""
