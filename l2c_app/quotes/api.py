"""REST routes of the quotes stage (filled in by its issue)."""

from fastapi import APIRouter

router = APIRouter(tags=["quotes"])
