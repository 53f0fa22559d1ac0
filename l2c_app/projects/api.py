"""REST routes of the projects stage (filled in by its issue)."""

from fastapi import APIRouter

router = APIRouter(tags=["projects"])
