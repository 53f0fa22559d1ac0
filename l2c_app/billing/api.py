"""REST routes of the billing stage (filled in by its issue)."""

from fastapi import APIRouter

router = APIRouter(tags=["billing"])
