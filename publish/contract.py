"""The mart contract the publisher and the serving API build on (issue #3).

The dbt project owns these tables; this module only names the columns the snapshot and the API
rely on, so that a publish of a warehouse that breaks the contract fails before anything moves.
"""

from __future__ import annotations

MEMBER_ACCOUNT = {
    "grzh": "VARCHAR", "zjhm": "VARCHAR", "xingming": "VARCHAR", "xingbie": "VARCHAR", "csny": "DATE",
    "dwzh": "VARCHAR", "dwmc": "VARCHAR", "xzqh": "VARCHAR", "grzhzt": "VARCHAR",
    "grjcjs": "DECIMAL(18,2)", "dwjcbl": "DECIMAL(6,4)", "grjcbl": "DECIMAL(6,4)",
    "gryjce": "DECIMAL(18,2)", "dwyjce": "DECIMAL(18,2)", "grzhye": "DECIMAL(18,2)",
    "grzhsnjzye": "DECIMAL(18,2)", "grzhdngjye": "DECIMAL(18,2)", "khrq": "DATE", "xhrq": "DATE",
    "jzny": "VARCHAR", "dkye": "DECIMAL(18,2)", "updated_at": "TIMESTAMP",
}
MEMBER_TRANSACTION = {
    "ywlsh": "VARCHAR", "grzh": "VARCHAR", "dwzh": "VARCHAR", "jzrq": "DATE", "gjhtqywlx": "VARCHAR",
    "fse": "DECIMAL(18,2)", "fslxe": "DECIMAL(18,2)", "grzhye": "DECIMAL(18,2)", "tqyy": "VARCHAR",
    "tqfs": "VARCHAR", "czbz": "VARCHAR", "hbjny": "VARCHAR", "zhaiyao": "VARCHAR",
    "_dbt_loaded_at": "TIMESTAMP",  # the publisher's watermark (INCREMENTAL_MARTS)
}
UNIT_SUMMARY = {
    "dwzh": "VARCHAR", "dwmc": "VARCHAR", "zzjgdm": "VARCHAR", "dwjjlx": "VARCHAR", "dwsshy": "VARCHAR",
    "xzqh": "VARCHAR", "dwlb": "VARCHAR", "dwzhzt": "VARCHAR", "dwjcbl": "DECIMAL(6,4)",
    "grjcbl": "DECIMAL(6,4)", "dwjcrs": "INTEGER", "dwfcrs": "INTEGER", "dwzhye": "DECIMAL(18,2)",
    "jzny": "VARCHAR", "dwkhrq": "DATE", "dwxhrq": "DATE", "jce_12m": "DECIMAL(18,2)",
}
INDICATOR_MONTHLY = {
    "tjny": "VARCHAR", "xzqh": "VARCHAR", "dwlb": "VARCHAR",
    "sjdws": "INTEGER", "sjzgs": "INTEGER", "xkhzgs": "INTEGER",
    "jce": "DECIMAL(18,2)", "jcye": "DECIMAL(18,2)", "tqrs": "INTEGER",
    "tqe": "DECIMAL(18,2)", "tqe_gf": "DECIMAL(18,2)", "tqe_hd": "DECIMAL(18,2)", "tqe_zf": "DECIMAL(18,2)",
    "tqe_lt": "DECIMAL(18,2)", "tqe_qt": "DECIMAL(18,2)", "dkffbs": "INTEGER",
    "dkffe": "DECIMAL(18,2)", "dkhse": "DECIMAL(18,2)", "dkye": "DECIMAL(18,2)", "yqe": "DECIMAL(18,2)",
}

CONTRACT: dict[str, dict[str, str]] = {
    "member_account": MEMBER_ACCOUNT,
    "member_transaction": MEMBER_TRANSACTION,
    "unit_summary": UNIT_SUMMARY,
    "indicator_monthly": INDICATOR_MONTHLY,
}

# The tables copied into the SQLite serving store, with their lookup key (PRIMARY KEY or index).
SERVING_TABLES: dict[str, tuple[str, ...]] = {
    "member_account": ("grzh",),
    "member_transaction": ("grzh", "jzrq", "ywlsh"),
    "unit_summary": ("dwzh",),
}

# Incremental marts (dbt delete+insert on the key; rows written by a run carry its _dbt_loaded_at):
# the publisher carries them over from the previous snapshot and applies only the rows written since.
# Key and the date whose month partitions their Parquet. tests/dbt_project checks this against dbt.
INCREMENTAL_MARTS: dict[str, tuple[str, str]] = {
    "member_transaction": ("ywlsh", "jzrq"),
    "loan_transaction": ("ywlsh", "ywfsrq"),
    "loan_repayment": ("ywlsh", "ywfsrq"),
}
