"""REST routes of the contracts stage (filled in by its issue)."""

from fastapi import APIRouter

router = APIRouter(tags=["contracts"])
