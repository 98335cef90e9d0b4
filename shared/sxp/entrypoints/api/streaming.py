"""A request body read chunk by chunk, with a deadline for each chunk (a client that stops
sending mid-upload is answered 408 and its partial upload dropped)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import Request

from sxp.entrypoints.api.problems import ApiProblem


async def body_chunks(request: Request) -> AsyncIterator[bytes]:
    idle_s = request.app.state.sxp.settings.api_read_timeout_s
    stream = request.stream().__aiter__()
    while True:
        try:
            chunk = await asyncio.wait_for(stream.__anext__(), idle_s)
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise ApiProblem(408, "request_timeout",
                             f"no bytes of the body arrived for {idle_s:g} s") from None
        yield chunk
