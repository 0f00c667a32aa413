"""GET /plan/{plan_id}/{token}: the parent's own plan, from the private link MY PLAN texts."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from bot.dashboard.parent_link import open_link, parent_print
from bot.web.dashboard import dashboard, page, runtime

router = APIRouter(tags=["parent"], include_in_schema=False)

_GONE = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Link expired</title>"
    "</head><body><main><h1>This link has expired</h1><p>Text MY PLAN to get a new one."
    "</p></main></body></html>"
)


@router.get("/plan/{plan_id}/{token}")
async def parent_plan(request: Request, plan_id: str, token: str) -> Response:
    dash = dashboard(request)
    contact = await open_link(dash, plan_id, token)
    found = await parent_print(dash, contact, runtime(request).clock()) if contact else None
    if found is None:
        return HTMLResponse(_GONE, status_code=404, headers={"cache-control": "no-store"})
    context = {"title": found.parts[-1].plan_title, "doc": found, "parent_link": True}
    response = page(request, "care/print.html", context)
    response.headers["referrer-policy"] = "no-referrer"  # the token is in the address
    return response
