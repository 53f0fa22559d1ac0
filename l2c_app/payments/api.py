"""REST routes of the payments stage (filled in by its issue)."""

from fastapi import APIRouter

router = APIRouter(tags=["payments"])
