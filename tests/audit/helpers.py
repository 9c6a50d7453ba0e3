"""Helpers of the audit tests."""

from __future__ import annotations

from pathlib import Path

from gjj.settings import Settings


def audit_settings(built: Path, root: Path) -> Settings:
    """A lakehouse root whose warehouse is the shared built one (symlinked) and whose audit store is its own."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("warehouse", "ground_truth"):
        if (built / name).exists() and not (root / name).exists():
            (root / name).symlink_to(built / name)
    return Settings(lakehouse_root=root)
