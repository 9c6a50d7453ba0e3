"""Measure the quality suite against the simulator's ground truth (``<root>/ground_truth/*.csv``).

Recall per planted defect kind: share of its planted records flagged by the rules that own it (``defect:``).
False positives: records flagged by a rule on a table whose keys the ground truth uses, with no planted
defect of any kind on that record. A few rules detect the knock-on of a planted defect on a neighbouring
record (listed in KNOCK_ON with the reason); their extra records are reported, not counted as false positives."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from quality.rules import Rule

# rule table → the simulator's table whose record keys the rule's record keys match
TRUTH_TABLE = {
    "stg_core__persons": "cm_person",
    "stg_core__units": "cm_unit",
    "stg_core__personal_accounts": "dp_indi_acct",
    "member_account": "dp_indi_acct",
    "stg_core__unit_accounts": "dp_unit_acct",
    "unit_summary": "dp_unit_acct",
    "stg_core__unit_transactions": "dp_unit_txn",
    "remittance": "dp_unit_txn",
    "withdrawal": "dw_draw",
    "stg_core__withdrawals": "dw_draw",
    "stg_core__loan_accounts": "ln_account",
    "loan_account": "ln_account",
    "int_loan_schedule_vs_actuals": "ln_plan",
    "stg_core__bank_balances": "fd_bank_bal",
    "stg_core__vouchers": "fn_voucher",
    "feed_quarantine": "feed",
    "feed_files": "feed",
}
KNOCK_ON = {
    "DK-19.formula": "DK-09 执行利率种植使整条还款计划偏离公式 (rate plants shift every instalment of the loan)",
    "GJ-11": "个人账户种植 (JC-12 改挂不存在单位、JC-13 销户余额) 改变单位下个人余额合计",
    "ZJ-01": "相邻两个月都被种植时，中间月份的对账也不平",
}


def load(root: Path) -> pl.DataFrame:
    files = sorted((root / "ground_truth").glob("*.csv"))
    frames = [pl.read_csv(f, infer_schema=False) for f in files]
    truth = pl.concat(frames) if frames else pl.DataFrame(schema={"rule_id": pl.String, "table": pl.String})
    # feed defects: the table column names the feed; the quarantine rule keys are "file|row" whatever the feed
    return truth.with_columns(
        pl.when(pl.col("source").str.starts_with("feed:"))
        .then(pl.lit("feed"))
        .otherwise(pl.col("table"))
        .alias("table")
    )


@dataclass
class Measure:
    recall: dict[str, tuple[int, int]]  # defect kind → (found, planted)
    false_positives: dict[str, list[str]]  # rule id → flagged keys without any planted defect
    knock_on: dict[str, int]  # rule id → flagged keys explained by a neighbouring plant

    def recall_of(self, kind: str) -> float:
        found, planted = self.recall[kind]
        return found / planted if planted else 1.0


def measure(truth: pl.DataFrame, rules: list[Rule], failures: pl.DataFrame) -> Measure:
    flagged: dict[str, set[str]] = (
        {rid: set(g["record_key"]) for (rid,), g in failures.group_by("rule_id")} if failures.height else {}
    )
    recall = {}
    for kind in sorted({r.defect for r in rules if r.defect}):
        planted = set(truth.filter(pl.col("rule_id") == kind)["record_key"])
        found = set().union(*(flagged.get(r.id, set()) for r in rules if r.defect == kind))
        recall[kind] = (len(planted & found), len(planted))
    fps: dict[str, list[str]] = {}
    knock: dict[str, int] = {}
    for r in rules:
        tt = TRUTH_TABLE.get(r.table)
        keys = flagged.get(r.id, set())
        if tt is None or not keys:
            continue
        extra = keys - set(truth.filter(pl.col("table") == tt)["record_key"])
        if r.defect:  # a rule may key its records like its defect's ground truth (JC-02: the ID number)
            extra -= set(truth.filter(pl.col("rule_id") == r.defect)["record_key"])
        if r.id in KNOCK_ON:
            knock[r.id] = len(extra)
        elif extra:
            fps[r.id] = sorted(extra)
    return Measure(recall, fps, knock)
