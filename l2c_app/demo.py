"""`l2c demo load`: a small believable data set (filled in as the stages land)."""

from __future__ import annotations

from sqlmodel import Session


def load_demo(session: Session) -> dict[str, int]:
    from l2c_app.demo_data import load

    return load(session)
