"""l2c: lead-to-cash for service businesses."""
