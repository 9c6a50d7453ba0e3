"""Every response body leaves through a response schema, and through here.

``present`` is where the consumer's masking policy will apply (issue #5); today it is the
identity. Serialising with pydantic-core directly (``model_dump_json``) skips FastAPI's second
validation pass of an already-validated model.
"""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel

from serving.core.deps import Consumer
from serving.core.snapshot import Snapshot


def present(model: BaseModel, consumer: Consumer) -> BaseModel:
    return model


def render(model: BaseModel, consumer: Consumer, snapshot: Snapshot) -> Response:
    body = present(model, consumer).model_dump_json()
    return Response(body, media_type="application/json", headers={"X-Snapshot-Version": str(snapshot.version)})
