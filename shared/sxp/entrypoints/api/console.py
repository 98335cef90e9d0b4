"""The operator console at `/console`: server-rendered, read-only pages (no JavaScript, no
build step, no CDN) over the same reads the API's routes serve.

Signing in takes an API key holding `imports:read`; the session is that key in a cookie
(HttpOnly, SameSite=Strict, Secure over HTTPS, path /console), checked on every page like a
Bearer token, so revoking the key ends the session within KEY_CACHE_S. Pages: the pipeline's
status with rows and credits per day, files and their rejects, jobs, providers (credits
against budget, breaker, error budget), consumers (batches and deliveries).
"""

from __future__ import annotations

import urllib.parse
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sxp.bootstrap import App
from sxp.entrypoints.api.deps import Caller, KeyCheck
from sxp.entrypoints.api.problems import ApiProblem

COOKIE = "sxp_console"
SCOPE = "imports:read"
SESSION_S = 8 * 3600
CHART_DAYS = 14
router = APIRouter(prefix="/console", include_in_schema=False)


class SignIn(Exception):
    """No valid session: the page sends the browser to the sign-in form."""


def install(api: FastAPI) -> None:
    from jinja2 import Environment, PackageLoader, select_autoescape

    api.state.console_templates = Environment(
        loader=PackageLoader("sxp.entrypoints.api", "console_templates"),
        autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)

    @api.exception_handler(SignIn)
    async def to_sign_in(_request: Request, _exc: SignIn) -> Response:
        return RedirectResponse("/console/login", status_code=303)

    api.include_router(router)


def _render(request: Request, template: str, status_code: int = 200,
            **context: Any) -> HTMLResponse:
    env = request.app.state.console_templates
    html = env.get_template(template).render(page=template.removesuffix(".html"), **context)
    return HTMLResponse(html, status_code=status_code,
                        headers={"Cache-Control": "no-store",
                                 "Content-Security-Policy": "default-src 'none'; "
                                 "style-src 'unsafe-inline'; img-src 'self' data:; "
                                 "form-action 'self'; frame-ancestors 'none'",
                                 "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"})


def _signed_in(request: Request) -> Caller:
    token = request.cookies.get(COOKIE)
    if not token:
        raise SignIn
    keys: KeyCheck = request.app.state.keys
    try:
        caller = keys.caller(f"Bearer {token}")
    except ApiProblem as exc:
        if exc.status == 429:
            raise
        raise SignIn from exc
    if not caller.may(SCOPE):
        raise SignIn
    return caller


def _app(request: Request) -> App:
    app: App = request.app.state.sxp
    return app


@router.get("/login")
def login_form(request: Request) -> HTMLResponse:
    return _render(request, "login.html", message=None)


@router.post("/login")
async def login(request: Request) -> Response:
    form = urllib.parse.parse_qs((await request.body()).decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0].strip()
    keys: KeyCheck = request.app.state.keys
    try:
        caller = await run_in_threadpool(keys.caller, f"Bearer {token}")
    except ApiProblem as exc:
        return _render(request, "login.html", status_code=exc.status,
                       message="that is not a valid key" if exc.status == 401 else exc.detail)
    if not caller.may(SCOPE):
        return _render(request, "login.html", status_code=403,
                       message=f"this key lacks the '{SCOPE}' scope the console needs")
    response = RedirectResponse("/console", status_code=303)
    response.set_cookie(COOKIE, token, max_age=SESSION_S, path="/console", httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(COOKIE, path="/console")
    return response


@router.get("")
def overview(request: Request) -> HTMLResponse:
    from sxp.adapters.postgres import activity
    from sxp.pipeline.status import collect_status

    caller = _signed_in(request)
    app = _app(request)
    status = collect_status(app)
    with app.connect() as conn:
        rows = activity.rows_per_day(conn, CHART_DAYS)
        credits = activity.credits_per_day(conn, CHART_DAYS)
    return _render(request, "overview.html", caller=caller, status=status,
                   rows_chart=bar_chart([(d, loaded) for d, loaded, _ in rows]),
                   rejected_chart=bar_chart([(d, rejected) for d, _, rejected in rows]),
                   credits_chart=bar_chart([(d, sum(p.values())) for d, p in credits]))


@router.get("/files")
def files(request: Request, failed: bool = False) -> HTMLResponse:
    from sxp.adapters.postgres import source_files

    caller = _signed_in(request)
    with _app(request).connect() as conn:
        listed = source_files.listed(conn, failed_only=failed, limit=500)
    return _render(request, "files.html", caller=caller, files=listed, failed=failed)


@router.get("/files/{file_id}")
def file_rejects(request: Request, file_id: int) -> HTMLResponse:
    from sxp.errors import InputError
    from sxp.pipeline.rejects import rejects_report

    caller = _signed_in(request)
    try:
        report = rejects_report(_app(request), str(file_id))
    except InputError:
        return _render(request, "missing.html", status_code=404, caller=caller,
                       what=f"file {file_id}")
    return _render(request, "file.html", caller=caller, report=report)


@router.get("/jobs")
def jobs(request: Request, state: str | None = None) -> HTMLResponse:
    from sxp.adapters.postgres import queue

    caller = _signed_in(request)
    chosen = state if state in ("todo", "doing", "done", "failed", "dead") else None
    with _app(request).connect() as conn:
        counts = queue.counts_by_kind_and_state(conn)
        listed = queue.listed(conn, state=chosen, limit=200)
    return _render(request, "jobs.html", caller=caller, counts=counts, jobs=listed,
                   state=chosen, states=("todo", "doing", "done", "failed", "dead"))


@router.get("/providers")
def providers(request: Request) -> HTMLResponse:
    from sxp.pipeline.status import collect_status

    caller = _signed_in(request)
    status = collect_status(_app(request))
    return _render(request, "providers.html", caller=caller, budgets=status["budgets"],
                   health=status["providers"], credits=status["credits"])


@router.get("/consumers")
def consumers(request: Request) -> HTMLResponse:
    from sxp.adapters.postgres import deliveries, run_summary
    from sxp.pipeline.consumers import list_consumers

    caller = _signed_in(request)
    app = _app(request)
    since = datetime.now(UTC) - timedelta(days=CHART_DAYS)
    with app.connect() as conn:
        delivery_counts = deliveries.counts_by_state(conn)
        batches = run_summary.batches_since(conn, since)
    for batch in batches:
        batch["location"] = app.store.url(batch.pop("manifest_key"))
    return _render(request, "consumers.html", caller=caller, consumers=list_consumers(app),
                   deliveries=delivery_counts, batches=batches, days=CHART_DAYS)


def bar_chart(series: list[tuple[Any, int]], *, width: int = 560, height: int = 120
              ) -> dict[str, Any]:
    """Bars for an inline SVG: each with its x, y, width, height, label and value."""
    top = max((v for _, v in series), default=0) or 1
    step = width / max(len(series), 1)
    bars = []
    for i, (day, value) in enumerate(series):
        h = round(value / top * (height - 20), 1)
        bars.append({"x": round(i * step + 2, 1), "y": round(height - 14 - h, 1),
                     "w": round(step - 4, 1), "h": h, "value": value,
                     "label": day.strftime("%m-%d") if hasattr(day, "strftime") else str(day)})
    return {"width": width, "height": height, "bars": bars, "top": top,
            "total": sum(v for _, v in series)}
