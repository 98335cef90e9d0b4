"""A lean closed-loop HTTP/1.1 load generator for the benchmarks: N keep-alive connections on
one asyncio loop, each sending its next GET as soon as the last answer arrived.

Why not httpx threads: on a 2-core machine the load generator shares the cores with the API
and Postgres, and 16 httpx client threads spend about 1.2 ms of CPU per request and wait for
their own GIL, which the measured latency would then include. Writing the request line and
reading `Content-Length` bytes back costs a small fraction of that. (wrk or hey would do too,
but are not in the package registry the bench installs from.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from urllib.parse import urlsplit


class BadAnswer(RuntimeError):
    """The server answered other than 200, or not in a shape this client reads."""


async def _read_answer(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    status = head.split(b" ", 2)[1]
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length is None:
        raise BadAnswer("answer without Content-Length")
    body = await reader.readexactly(length)
    if status != b"200":
        raise BadAnswer(f"HTTP {status.decode()}: {body[:200]!r}")
    return body


async def _client(host: str, port: int, headers: bytes, paths: list[str],
                  samples: list[float]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for path in paths:
            started = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\n".encode() + headers)
            await _read_answer(reader)
            samples.append(time.perf_counter() - started)
    finally:
        writer.close()


def run_closed_loop(base_url: str, paths: Sequence[str], *, clients: int,
                    headers: dict[str, str] | None = None) -> tuple[list[float], float]:
    """GET every path once over `clients` connections; (latencies in s, elapsed s)."""
    url = urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": url.netloc, **(headers or {})}.items())
    header_bytes = (head + "\r\n").encode()
    shares = [list(paths[i::clients]) for i in range(clients)]
    samples: list[float] = []

    async def main() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(_client(host, port, header_bytes, share, samples)
                               for share in shares))
        return time.perf_counter() - started

    elapsed = asyncio.run(main())
    return samples, elapsed
