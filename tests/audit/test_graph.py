"""Relationship graph: planted brokers are hubs, planted shared flats and serial marriages show, JSON export."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from audit.engine import RunResult
from audit.graph import graph_from_warehouse
from audit.store import audit_db_path
from gjj.settings import Settings


def test_graph_finds_planted_rings(audit_run: tuple[Settings, RunResult], tmp_path: Path) -> None:
    settings, _ = audit_run
    g = graph_from_warehouse(settings.warehouse_path, audit_db_path(settings))
    truth = pl.read_csv(str(settings.ground_truth_dir / "*.csv"), infer_schema_length=0)
    # TQ-22: every planted agent is a hub linking the persons it filed for
    assert any(h["type"] == "agent" for h in g.hubs)
    assert all(h["degree"] >= 2 for h in g.hubs)
    # TQ-07: each planted pair shares a flat node
    assert len(g.shared_properties) >= truth.filter(pl.col("rule_id") == "TQ-07").height // 2
    # TQ-12: every planted serial-marriage person is flagged
    planted = set(truth.filter(pl.col("rule_id") == "TQ-12")["record_key"].str.to_uppercase().to_list())
    assert planted <= set(g.serial_marriages)
    # communities are scored, the broker ring ranks above a plain couple
    top = g.communities[0]
    assert top["risk_score"] >= g.communities[-1]["risk_score"] and top["rank"] == 1
    ring = next(c for c in g.communities if any(m.startswith("agent:") for m in c["members"]))
    assert "hub 中介/共用账户枢纽" in ring["reasons"]
    out = g.write(tmp_path / "graph.json")
    doc = json.loads(out.read_text(encoding="utf-8"))
    ids = {n["id"] for n in doc["nodes"]}
    assert doc["edges"] and all(e["source"] in ids and e["target"] in ids for e in doc["edges"])
