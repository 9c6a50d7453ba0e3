"""User profiles (用户画像): the tag library ``profiles.yaml`` evaluated set-based in DuckDB.

``member_features`` (one row per 个人账号) is derived from the snapshot marts attached as ``snap``; every
tag becomes one ``CASE WHEN … THEN value …`` column of ``member_profile`` (one wide row per member), and
``member_tag`` is the same in long form with the label and the time it was computed; ``tag_segment``
counts members per tag value for the dashboards. A tag whose condition does not compile against the
features is rejected naming the file, the tag and the value.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

PROFILES_FILE = Path(__file__).with_name("profiles.yaml")

# The reference date is the newest ledger date in the snapshot (the core system's business date).
FEATURES_SQL = """
CREATE OR REPLACE TEMP VIEW member_features_base AS
WITH ref AS (SELECT max(jzrq) AS d FROM snap.marts.member_transaction),
txn AS (
    SELECT
        t.grzh,
        count(DISTINCT date_trunc('month', t.jzrq)) FILTER (
            WHERE t.gjhtqywlx IN ('01', '02') AND t.fse > 0 AND t.jzrq > ref.d - INTERVAL 12 MONTH) AS jcys_12m,
        count(DISTINCT date_trunc('month', t.jzrq)) FILTER (
            WHERE t.gjhtqywlx IN ('01', '02') AND t.fse > 0 AND t.jzrq > ref.d - INTERVAL 6 MONTH) AS jcys_6m,
        count(*) FILTER (WHERE t.gjhtqywlx IN ('11', '12') AND t.jzrq > ref.d - INTERVAL 24 MONTH) AS tqcs_24m,
        count(*) FILTER (WHERE t.gjhtqywlx IN ('11', '12') AND t.tqyy = '07'
                         AND t.jzrq > ref.d - INTERVAL 24 MONTH) AS tqcs_zf_24m,
        count(*) FILTER (WHERE t.gjhtqywlx IN ('11', '12') AND t.tqyy IN ('01', '02')
                         AND t.jzrq > ref.d - INTERVAL 24 MONTH) AS tqcs_gf_24m,
        count(*) FILTER (WHERE t.gjhtqywlx IN ('11', '12') AND t.tqyy = '06'
                         AND t.jzrq > ref.d - INTERVAL 24 MONTH) AS tqcs_hd_24m,
        coalesce(-sum(t.fse) FILTER (WHERE t.gjhtqywlx IN ('11', '12') AND t.jzrq > ref.d - INTERVAL 24 MONTH), 0)
            AS tqe_24m
    FROM snap.marts.member_transaction AS t, ref
    GROUP BY t.grzh
),
loans AS (
    SELECT
        jkrgjjzh AS grzh,
        count(*) AS dkbs,
        count(*) FILTER (WHERE dkzt IN ('01', '02') AND dkye > 0) AS dkbs_zc,
        sum(dkye) AS dkye,
        max(coalesce(dqyqqs, 0)) AS dqyqqs,
        sum(coalesce(ljyqqs, 0)) AS ljyqqs,
        sum(coalesce(dqyqe, 0)) AS yqe
    FROM snap.marts.loan_account
    GROUP BY jkrgjjzh
)
SELECT
    a.grzh,
    a.nl,
    a.xingbie,
    a.grzhzt,
    a.grjcjs::DOUBLE AS grjcjs,
    a.grzhye::DOUBLE AS grzhye,
    date_diff('year', a.khrq, ref.d) AS khnx,
    coalesce(t.jcys_12m, 0) AS jcys_12m,
    coalesce(t.jcys_6m, 0) AS jcys_6m,
    coalesce(t.tqcs_24m, 0) AS tqcs_24m,
    coalesce(t.tqcs_zf_24m, 0) AS tqcs_zf_24m,
    coalesce(t.tqcs_gf_24m, 0) AS tqcs_gf_24m,
    coalesce(t.tqcs_hd_24m, 0) AS tqcs_hd_24m,
    coalesce(t.tqe_24m, 0)::DOUBLE AS tqe_24m,
    coalesce(l.dkbs, 0) AS dkbs,
    coalesce(l.dkbs_zc, 0) AS dkbs_zc,
    coalesce(l.dkye, 0)::DOUBLE AS dkye,
    coalesce(l.dqyqqs, 0) AS dqyqqs,
    coalesce(l.ljyqqs, 0) AS ljyqqs,
    coalesce(l.yqe, 0)::DOUBLE AS yqe
FROM snap.marts.member_account AS a
CROSS JOIN ref
LEFT JOIN txn AS t ON t.grzh = a.grzh
LEFT JOIN loans AS l ON l.grzh = a.grzh
"""


# The loan-demand score (analytics/loan_demand.py) joins in as dkxq_score and its percentile dkxq_pct.
WITH_SCORE_SQL = """
CREATE OR REPLACE TEMP VIEW member_features AS
SELECT f.*, s.dkxq_score,
       CASE WHEN s.dkxq_score IS NOT NULL THEN percent_rank() OVER (
           PARTITION BY s.dkxq_score IS NULL ORDER BY s.dkxq_score) END AS dkxq_pct
FROM member_features_base AS f LEFT JOIN loan_demand_score AS s ON s.grzh = f.grzh
"""


class ProfileError(ValueError):
    """profiles.yaml is malformed or a tag condition does not compile."""


class TagValue(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: str = Field(pattern=r"^[a-z_]+$")
    label: str
    when: str


class Tag(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[a-z][a-z_]*$")
    name: str
    category: str
    description: str | None = None
    values: list[TagValue] = Field(min_length=1)


class TagLibrary(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tags: list[Tag] = Field(min_length=1)


def load_tags(path: Path = PROFILES_FILE) -> list[Tag]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        lib = TagLibrary.model_validate(raw)
    except (yaml.YAMLError, ValidationError) as exc:
        raise ProfileError(f"{path}: 标签定义不合法 / invalid tag library: {exc}") from exc
    codes = [t.code for t in lib.tags]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        raise ProfileError(f"{path}: 标签编码重复 / duplicate tag codes: {', '.join(dupes)}")
    return lib.tags


def _case(tag: Tag, column: str) -> str:
    arms = " ".join(f"WHEN ({v.when}) THEN '{getattr(v, column).replace(chr(39), chr(39) * 2)}'" for v in tag.values)
    return f"CASE {arms} END"


def check_tags(con: duckdb.DuckDBPyConnection, tags: list[Tag], path: Path = PROFILES_FILE) -> None:
    """Every condition must compile against member_features (binds, boolean): named error otherwise."""
    for tag in tags:
        for v in tag.values:
            try:
                con.execute(f"SELECT count(*) FROM member_features WHERE ({v.when}) LIMIT 0")
            except duckdb.Error as exc:
                raise ProfileError(f"{path}: 标签 {tag.code} 取值 {v.value} 的条件无效 / condition of tag "
                                   f"{tag.code} value {v.value} is invalid: {v.when!r}: {exc}") from exc


def build_profiles(con: duckdb.DuckDBPyConnection, path: Path = PROFILES_FILE) -> int:
    """Write member_profile, member_tag and tag_segment (and the loan-demand model) into ``con``, which has the
    snapshot attached as ``snap``."""
    from analytics.loan_demand import build_loan_demand

    tags = load_tags(path)
    con.execute(FEATURES_SQL)
    build_loan_demand(con)
    con.execute(WITH_SCORE_SQL)
    check_tags(con, tags, path)
    columns = ",\n".join(f"{_case(t, 'value')} AS {t.code}" for t in tags)
    con.execute(f"CREATE OR REPLACE TABLE member_profile AS SELECT f.*, {columns}, now()::TIMESTAMP AS computed_at "
                f"FROM member_features AS f ORDER BY f.grzh")
    catalog = [(t.code, t.name, t.category, v.value, v.label, i) for t in tags for i, v in enumerate(t.values)]
    con.execute("CREATE OR REPLACE TABLE tag_catalog (tag VARCHAR, tag_name VARCHAR, category VARCHAR, "
                "value VARCHAR, label VARCHAR, ordinal INTEGER)")
    con.executemany("INSERT INTO tag_catalog VALUES (?, ?, ?, ?, ?, ?)", catalog)
    unpivot = " UNION ALL ".join(f"SELECT grzh, '{t.code}' AS tag, {t.code} AS value, computed_at FROM member_profile "
                                 f"WHERE {t.code} IS NOT NULL" for t in tags)
    con.execute(f"""CREATE OR REPLACE TABLE member_tag AS
        SELECT u.grzh, u.tag, c.tag_name, c.category, u.value, c.label, u.computed_at
        FROM ({unpivot}) AS u JOIN tag_catalog AS c ON c.tag = u.tag AND c.value = u.value
        ORDER BY u.grzh, u.tag""")
    con.execute("""CREATE OR REPLACE TABLE tag_segment AS
        SELECT c.tag, c.tag_name, c.category, c.value, c.label, c.ordinal, count(m.grzh) AS members
        FROM tag_catalog AS c LEFT JOIN member_tag AS m ON m.tag = c.tag AND m.value = c.value
        GROUP BY ALL ORDER BY c.tag, c.ordinal""")
    # member_profile and member_tag are stored in grzh order: a point lookup reads one row group (zone maps).
    row = con.execute("SELECT count(*) FROM member_profile").fetchone()
    return int(row[0]) if row else 0
