"""A fresh install for a benchmark: its own database (a temporary SQLite file, or the
PostgreSQL DATABASE_URL given), migrated, with an organisation and its owner."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path


def fresh_install(name: str, allow_postgres: bool = False) -> tuple[str, int]:
    """Point the settings at a new database and set it up; returns (database url, owner id)."""
    url = os.environ.get("DATABASE_URL", "") if allow_postgres else ""
    if not url.startswith("postgres"):
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix=f'l2c-bench-{name}-')) / 'bench.db'}"
    os.environ.update(DATABASE_URL=url, SECRET_KEY="bench-secret-0123456789abcdef")
    from l2c_app.core.config import reset_settings

    reset_settings()
    from l2c_app.core.auth import setup_organisation
    from l2c_app.core.db import migrate, session_scope

    migrate(url)
    with session_scope() as s:
        _, owner = setup_organisation(
            s,
            org_name="Bench",
            currency="EUR",
            timezone="UTC",
            owner_name="O",
            owner_email=f"o{secrets.token_hex(3)}@bench.test",
            password="bench-password-1",
        )
        return url, owner.id
