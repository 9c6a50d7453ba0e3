"""Serving configuration: the platform's one Settings object plus the API's own knobs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gjj.settings import Settings, get_settings

__all__ = ["ServingConfig", "Settings", "get_settings"]


@dataclass(frozen=True)
class ServingConfig:
    snapshots_dir: Path
    # How often (at most) a worker looks at snapshots/CURRENT for a newly published version.
    reload_interval_s: float = 1.0

    @classmethod
    def from_settings(cls, settings: Settings, reload_interval_s: float = 1.0) -> ServingConfig:
        return cls(settings.snapshots_dir, reload_interval_s)
