"""A snapshot of the whole asset graph: every asset key with its dependencies, and every check.

An accidental change to the graph shows up here as a diff; after an intended change, regenerate the
snapshot with `UPDATE_ASSET_GRAPH=1 pytest tests/orchestration/test_asset_graph.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

SNAPSHOT = Path(__file__).with_name("asset_graph.txt")


def _graph_lines() -> list[str]:
    from orchestration.pipeline import prepare

    prepare()
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    lines = []
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        deps = sorted(p.to_user_string() for p in graph.get(key).parent_keys)
        lines.append(f"asset {key.to_user_string()} <- {', '.join(deps) or '-'}")
    lines += sorted(f"check {c.asset_key.to_user_string()}:{c.name}" for c in graph.asset_check_keys)
    return lines


def test_asset_graph_matches_snapshot() -> None:
    lines = _graph_lines()
    if os.environ.get("UPDATE_ASSET_GRAPH"):
        SNAPSHOT.write_text("\n".join(lines) + "\n")
    assert lines == SNAPSHOT.read_text().splitlines()


def test_every_asset_has_owner_group_and_description() -> None:
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.owners, key
        assert node.group_name and node.group_name != "default", key
        assert node.description, key
