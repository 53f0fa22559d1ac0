"""REST routes of the leads stage (filled in by its issue)."""

from fastapi import APIRouter

router = APIRouter(tags=["leads"])
