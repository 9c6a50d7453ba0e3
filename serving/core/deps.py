"""Typed dependencies: routes read like their contract (who asks, on which snapshot).

Access control and masking come later (issue #5): ``get_consumer`` will authenticate the caller
and carry the role the masking policies key on; today every caller is the anonymous consumer.
Dependencies are ``async def`` so they run on the event loop, not in the thread pool.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Request
from pydantic import BaseModel, Field

from serving.core.snapshot import Snapshot, SnapshotStore


class Role(StrEnum):
    anonymous = "anonymous"
    business_app = "business_app"
    partner = "partner"
    steward = "steward"


class Consumer(BaseModel):
    """The caller of the API (调用方)."""

    id: str = Field(description="调用方标识 (consumer id)")
    role: Role = Field(description="调用方角色，决定脱敏策略 (role: selects the masking policy)")


ANONYMOUS = Consumer(id="anonymous", role=Role.anonymous)


async def get_consumer() -> Consumer:
    return ANONYMOUS


async def get_store(request: Request) -> SnapshotStore:
    store: SnapshotStore = request.app.state.snapshots
    return store


async def get_snapshot(store: Annotated[SnapshotStore, Depends(get_store)]) -> Snapshot:
    return store.current()


CurrentConsumer = Annotated[Consumer, Depends(get_consumer)]
SnapshotDep = Annotated[Snapshot, Depends(get_snapshot)]
