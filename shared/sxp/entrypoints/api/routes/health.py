"""`GET /health`: the one route without a key (load balancers and uptime checks)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    env: str


@router.get("/health", response_model=Health, summary="Liveness: the API answers")
async def health(request: Request) -> Health:
    return Health(status="ok", env=request.app.state.sxp.settings.env)
