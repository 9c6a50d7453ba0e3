"""风险关系图谱 (relationship graph): persons linked through what they share, rings and hubs, scored communities.

Edges are extracted set-based from the warehouse (SQL), only for attributes shared by two or more persons,
so the graph stays small at city scale: a phone, a payee account, an agent (ID or phone), a property used
for withdrawals or loans, a co-borrower, a marriage registration between two depositors. networkx then finds
hubs (an attribute node linking ≥ P persons: TQ-22 brokers), shared flats (TQ-07), persons with serial
marriage changes and a purchase (TQ-12), and communities (connected components, split by modularity when
large), each scored by its hubs, shared flats and the risk events of its members.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import networkx as nx
from networkx.algorithms import community as nx_comm

SEVERITY_WEIGHT = {"高": 3.0, "中": 2.0, "低": 1.0}

EDGES_SQL = """
with acct as (select grzh, upper(zjhm) as zjhm from marts.member_account where zjhm is not null),
w as (
  select upper(a.zjhm) as zjhm, s.tqsqh, s.tqyy, s.skzhhm, upper(s.dbrzjhm) as dbrzjhm, s.dbrsjhm, s.bdcdyh
  from staging.stg_core__withdrawals s join acct a on a.grzh = s.grzh
),
links as (
  select 'phone' as kind, sjhm as attr, upper(zjhm) as zjhm, 'person_phone' as via from staging.stg_core__persons where sjhm is not null
  union all select 'payee', skzhhm, zjhm, 'withdrawal_payee' from w where skzhhm is not null and tqyy not in ('01', '02')
  union all select 'agent', dbrzjhm, zjhm, 'withdrawal_agent' from w where dbrzjhm is not null
  union all select 'phone', dbrsjhm, zjhm, 'withdrawal_agent_phone' from w where dbrsjhm is not null
  union all select 'property', bdcdyh, zjhm, 'withdrawal_property' from w where bdcdyh is not null
  union all select 'property', c.bdcdyh, upper(c.jkrzjh), 'loan_property' from staging.stg_core__loan_contracts c where c.bdcdyh is not null
),
shared as (
  select kind, attr from links group by kind, attr having count(distinct zjhm) >= 2
)
select distinct l.kind, l.attr, l.zjhm, l.via from links l join shared s using (kind, attr)
"""

PAIRS_SQL = """
with core as (select distinct upper(zjhm) as zjhm from marts.member_account where zjhm is not null)
select upper(c.jkrzjh) as a, upper(b.gtjkrzjhm) as b, 'co_borrower' as kind
from staging.stg_core__co_borrowers b join staging.stg_core__loan_contracts c using (jkhtbh)
where b.gtjkrzjhm is not null and upper(b.gtjkrzjhm) in (select zjhm from core)
union
select upper(m.nfzjhm), upper(m.vfzjhm), 'spouse' from staging.stg_mz__marriage_registrations m
where m.djlx = '结婚' and upper(m.nfzjhm) in (select zjhm from core) and upper(m.vfzjhm) in (select zjhm from core)
"""

SERIAL_SQL = """
with ev as (
  select upper(nfzjhm) as zjhm, djrq from staging.stg_mz__marriage_registrations where nfzjhm is not null
  union all select upper(vfzjhm), djrq from staging.stg_mz__marriage_registrations where vfzjhm is not null
), g as (select zjhm, djrq - lag(djrq) over (partition by zjhm order by djrq) as gap from ev),
buys as (
  select upper(a.zjhm) as zjhm from marts.withdrawal w join marts.member_account a using (grzh) where w.tqyy = '01'
  union select upper(jkrzjh) from staging.stg_core__loan_contracts
)
select distinct g.zjhm from g join buys using (zjhm) where g.gap <= 1095
"""


@dataclass
class RiskGraph:
    graph: nx.Graph
    hubs: list[dict[str, Any]]
    shared_properties: list[dict[str, Any]]
    serial_marriages: list[str]
    communities: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        nodes = [{"id": n, **{k: v for k, v in d.items() if k != "members"}} for n, d in self.graph.nodes(data=True)]
        edges = [{"source": a, "target": b, **d} for a, b, d in self.graph.edges(data=True)]
        return {"nodes": nodes, "edges": edges, "hubs": self.hubs, "shared_properties": self.shared_properties,
                "serial_marriages": self.serial_marriages, "communities": self.communities}

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        return path


def build_graph(con: duckdb.DuckDBPyConnection, events: list[tuple[str, str]] | None = None,
                hub_persons: int = 3, max_community: int = 200) -> RiskGraph:
    """The graph from a connection to the warehouse (or snapshot + reference store); ``events`` = (zjhm, severity)."""
    g = nx.Graph()
    for kind, attr, zjhm, via in con.execute(EDGES_SQL).fetchall():
        node = f"{kind}:{attr}"
        g.add_node(node, type=kind, label=str(attr))
        g.add_node(f"person:{zjhm}", type="person", label=str(zjhm))
        g.add_edge(f"person:{zjhm}", node, type=via)
    for a, b, kind in con.execute(PAIRS_SQL).fetchall():
        if a != b:
            for z in (a, b):
                g.add_node(f"person:{z}", type="person", label=str(z))
            g.add_edge(f"person:{a}", f"person:{b}", type=kind)
    serial = sorted(str(r[0]) for r in con.execute(SERIAL_SQL).fetchall())
    for z in serial:
        g.add_node(f"person:{z}", type="person", label=z)
        g.nodes[f"person:{z}"]["serial_marriage"] = True
    risk: dict[str, float] = {}
    for zjhm, severity in events or []:
        node = f"person:{zjhm}"
        if node in g:
            risk[node] = risk.get(node, 0.0) + SEVERITY_WEIGHT.get(severity, 1.0)
    for node, score in risk.items():
        g.nodes[node]["event_score"] = score

    def persons_of(node: str) -> list[str]:
        return sorted(n for n in g.neighbors(node) if g.nodes[n]["type"] == "person")

    hubs: list[dict[str, Any]] = []
    shared_props: list[dict[str, Any]] = []
    for node, data in g.nodes(data=True):
        if data["type"] == "person":
            continue
        persons = persons_of(node)
        if data["type"] == "property":
            spouses = len(persons) == 2 and g.has_edge(persons[0], persons[1]) and g.edges[persons[0], persons[1]]["type"] == "spouse"
            if not spouses:
                data["shared_flat"] = True
                shared_props.append({"node": node, "persons": persons})
        elif len(persons) >= (2 if data["type"] == "agent" else hub_persons):
            data["hub"] = True
            hubs.append({"node": node, "type": data["type"], "persons": persons, "degree": len(persons)})
    communities: list[dict[str, Any]] = []
    for comp in nx.connected_components(g):
        parts = [comp]
        if len(comp) > max_community:
            parts = list(nx_comm.greedy_modularity_communities(g.subgraph(comp)))
        for part in parts:
            sub = g.subgraph(part)
            persons = [n for n in part if g.nodes[n]["type"] == "person"]
            n_hubs = sum(1 for n in part if g.nodes[n].get("hub"))
            n_flats = sum(1 for n in part if g.nodes[n].get("shared_flat"))
            n_serial = sum(1 for n in persons if g.nodes[n].get("serial_marriage"))
            events_score = sum(g.nodes[n].get("event_score", 0.0) for n in persons)
            score = round(3 * n_hubs + 3 * n_flats + 2 * n_serial + events_score + 0.1 * len(persons), 2)
            reasons = [r for r, n in (("hub 中介/共用账户枢纽", n_hubs), ("shared_flat 同房多人", n_flats),
                                      ("serial_marriage 频繁婚变", n_serial)) if n]
            communities.append({"id": len(communities), "persons": len(persons), "nodes": sub.number_of_nodes(),
                                "edges": sub.number_of_edges(), "risk_score": score, "reasons": reasons,
                                "members": sorted(part)})
    communities.sort(key=lambda c: (-c["risk_score"], c["id"]))
    for rank, c in enumerate(communities):
        for n in c["members"]:
            g.nodes[n]["community"] = c["id"]
        c["rank"] = rank + 1
    hubs.sort(key=lambda h: (-h["degree"], h["node"]))
    return RiskGraph(g, hubs, shared_props, serial, communities)


def graph_from_warehouse(warehouse: Path, audit_store: Path | None = None) -> RiskGraph:
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{warehouse}' AS warehouse (READ_ONLY)")
        con.execute("USE warehouse")
        events: list[tuple[str, str]] = []
        if audit_store and audit_store.exists():
            con.execute(f"ATTACH '{audit_store}' AS audit (READ_ONLY)")
            events = [(str(z), str(s)) for z, s in con.execute(
                """SELECT upper(coalesce(e.zjhm, a.zjhm)), e.severity FROM audit.main.risk_event e
                   LEFT JOIN marts.member_account a ON a.grzh = e.grzh
                   WHERE e.cleared_at IS NULL AND NOT e.false_positive AND coalesce(e.zjhm, a.zjhm) IS NOT NULL""").fetchall()]
        return build_graph(con, events)
    finally:
        con.close()
