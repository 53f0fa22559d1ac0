"""The audit log viewer: Settings > Audit (service, CSV route, page)."""
