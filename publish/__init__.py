"""Publishing: immutable versioned snapshots of the warehouse marts, atomic switch, rollback."""

from publish.snapshot import (
    PublishError,
    SnapshotInfo,
    analyst_edition_path,
    list_versions,
    publish_snapshot,
    read_current,
    rollback,
    version_dir,
)

__all__ = ["PublishError", "SnapshotInfo", "analyst_edition_path", "list_versions", "publish_snapshot", "read_current", "rollback",
           "version_dir"]
