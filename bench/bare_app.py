"""The bare FastAPI JSON endpoint the API benchmark compares lookups against (same server, no data)."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/ping")
async def ping() -> dict[str, str]:
    return {"status": "ok"}
