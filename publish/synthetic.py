"""A synthetic warehouse with exactly the contract marts, generated set-based in DuckDB.

Used by the publish/serving tests (small) and by the API benchmark (realistic size) while the
dbt-built warehouse is not there yet. Deterministic: the same arguments give the same rows.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from publish.contract import CONTRACT

XZQH = ["411202", "411203", "411221", "411224", "411281", "411282"]
DWLB = ["01", "02", "03", "04"]
TYPES = ["01", "01", "01", "01", "02", "09", "11", "01", "01", "12"]


def _ddl(table: str) -> str:
    cols = ", ".join(f"{c} {t}" for c, t in CONTRACT[table].items())
    return f"CREATE OR REPLACE TABLE marts.{table} ({cols})"


def build_synthetic_warehouse(path: Path, accounts: int = 200, txns_per_account: int = 30,
                              units: int = 20, months: int = 24, threads: int | None = None) -> Path:
    """Write (replace) a DuckDB file at ``path`` holding the four contract marts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        if threads:
            con.execute(f"SET threads = {threads}")
        con.execute("CREATE SCHEMA marts")
        for table in CONTRACT:
            con.execute(_ddl(table))
        xz = "['" + "','".join(XZQH) + "']"
        lb = "['" + "','".join(DWLB) + "']"
        ty = "['" + "','".join(TYPES) + "']"
        con.execute(f"""INSERT INTO marts.unit_summary SELECT
            '41120' || lpad((u + 1)::VARCHAR, 7, '0'), '三门峡第' || (u + 1) || '号单位', lpad(u::VARCHAR, 9, '0'),
            '1' || (u % 9)::VARCHAR, 'C' || (u % 20)::VARCHAR, {xz}[u % {len(XZQH)} + 1], {lb}[u % {len(DWLB)} + 1],
            CASE WHEN u % 17 = 0 THEN '02' ELSE '01' END, 0.1200, 0.1200, 10 + u % 50, u % 3,
            (100000 + u * 37.25)::DECIMAL(18,2), '2026-10', DATE '2005-01-01' + (u % 3000)::INTEGER, NULL,
            (240000 + u * 11.5)::DECIMAL(18,2)
            FROM range({units}) r(u)""")
        con.execute(f"""INSERT INTO marts.member_account SELECT
            '4112' || lpad((i + 1)::VARCHAR, 8, '0'), '41120219' || lpad((700101 + i % 300000)::VARCHAR, 6, '0') || lpad((i % 10000)::VARCHAR, 4, '0'),
            '张' || (i % 1000)::VARCHAR, CASE WHEN i % 2 = 0 THEN '1' ELSE '2' END,
            DATE '1970-01-01' + (i % 12000)::INTEGER, '41120' || lpad((i % {units} + 1)::VARCHAR, 7, '0'),
            '三门峡第' || (i % {units} + 1) || '号单位', {xz}[i % {len(XZQH)} + 1],
            CASE WHEN i % 11 = 0 THEN '02' WHEN i % 97 = 0 THEN '05' ELSE '01' END,
            (3000 + i % 5000)::DECIMAL(18,2), 0.1200, 0.1200, ((3000 + i % 5000) * 0.12)::DECIMAL(18,2),
            ((3000 + i % 5000) * 0.12)::DECIMAL(18,2), (i * 1.37 % 200000)::DECIMAL(18,2),
            (i * 1.11 % 150000)::DECIMAL(18,2), (i % 9000)::DECIMAL(18,2), DATE '2010-01-01' + (i % 5000)::INTEGER,
            NULL, '2026-10', CASE WHEN i % 7 = 0 THEN (i % 300000)::DECIMAL(18,2) ELSE 0 END,
            TIMESTAMP '2026-11-01 02:00:00'
            FROM range({accounts}) r(i)""")
        con.execute(f"""INSERT INTO marts.member_transaction SELECT
            'Y' || lpad((i * {txns_per_account} + k)::VARCHAR, 15, '0'), '4112' || lpad((i + 1)::VARCHAR, 8, '0'),
            '41120' || lpad((i % {units} + 1)::VARCHAR, 7, '0'), DATE '2016-01-15' + (k * 30)::INTEGER,
            {ty}[(i + k) % {len(TYPES)} + 1],
            CASE WHEN {ty}[(i + k) % {len(TYPES)} + 1] IN ('11', '12') THEN -(500 + k * 3.5) ELSE 720 + (i % 100) * 0.01 END::DECIMAL(18,2),
            0::DECIMAL(18,2), (k * 720 + i % 1000)::DECIMAL(18,2),
            CASE WHEN {ty}[(i + k) % {len(TYPES)} + 1] IN ('11', '12') THEN '01' END,
            CASE WHEN {ty}[(i + k) % {len(TYPES)} + 1] IN ('11', '12') THEN '2' END, '0',
            strftime(DATE '2016-01-15' + (k * 30)::INTEGER, '%Y-%m'), '汇缴', TIMESTAMP '2026-11-01 02:00:00'
            FROM range({accounts}) a(i), range({txns_per_account}) t(k)""")
        con.execute(f"""INSERT INTO marts.indicator_monthly SELECT
            strftime(DATE '2024-01-01' + to_months(m::INTEGER), '%Y-%m'), x, l,
            10 + m, 100 + m, 3, (100000 + m * 100)::DECIMAL(18,2), (5000000 + m * 1000)::DECIMAL(18,2), 7,
            (30000 + m * 10)::DECIMAL(18,2), 10000, 5000, 5000, 5000, (5000 + m * 10)::DECIMAL(18,2), 2,
            600000, 20000, (3000000 + m * 500)::DECIMAL(18,2), 100
            FROM range({months}) r(m), unnest({xz}) x(x), unnest({lb}) l(l)""")
    finally:
        con.close()
    return path
