"""Feed contracts: the shipped YAML files load; a broken contract is refused with a clear message."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
import yaml

from ingestion.feed_contracts import CHINA_TZ, CONTRACTS_DIR, ContractError, load_contract, load_contracts

FEEDS = {"bdc", "mz", "ga", "sb", "scjg"}


def test_shipped_contracts_load() -> None:
    contracts = load_contracts()
    assert set(contracts) == FEEDS
    for feed, c in contracts.items():
        assert c.owner and c.description, feed
        assert c.file_date(f"{feed}_20261031.{c.file.format}") == date(2026, 10, 31)
        assert c.file_date(f"{feed}_20261031.txt") is None
        assert all(k in [col.name for col in c.columns] for k in c.keys)
    assert contracts["bdc"].file.encoding == "gb18030"
    assert contracts["scjg"].file.encoding == "gbk"
    assert contracts["mz"].file.encoding == "utf-8-sig"
    assert contracts["sb"].file.sheet == "缴费基数"
    assert contracts["bdc"].column("reg_type").allowed == ["首次登记", "转移登记", "抵押登记", "抵押注销登记"]


def _broken(tmp_path: Path, mutate, name: str = "bdc") -> Path:  # type: ignore[no-untyped-def]
    raw = yaml.safe_load((CONTRACTS_DIR / "bdc.yaml").read_text(encoding="utf-8"))
    mutate(raw)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda r: r["columns"][8].update(type="datetime"), r"columns\[登记日期\]\.type"),
        (
            lambda r: r["columns"][8].update(nullable=True),
            r"columns\[登记日期\]\.nullable.*Extra inputs are not permitted",
        ),
        (lambda r: r["columns"][8].pop("format"), r"columns\[登记日期\].*needs a format"),
        (lambda r: r.update(keys=["business_no", "nope"]), r"keys \['nope'\] are not column names"),
        (lambda r: r["file"].update(pattern=r"^bdc_\d{8}\.csv$"), r"file\.pattern.*named group"),
        (lambda r: r["file"].update(encoding="gb-nonsense"), r"file\.encoding.*unknown encoding"),
        (lambda r: r.update(owner=None), r"owner"),
        (lambda r: r["columns"][0].update(name="业务号"), r"columns\[业务号\]\.name.*snake_case"),
    ],
)
def test_bad_contract_rejected_with_file_and_field(tmp_path: Path, mutate, expected: str) -> None:  # type: ignore[no-untyped-def]
    path = _broken(tmp_path, mutate)
    with pytest.raises(ContractError, match=expected) as err:
        load_contract(path)
    assert str(path) in str(err.value)


def test_contract_name_must_match_file(tmp_path: Path) -> None:
    path = _broken(tmp_path, lambda r: None, name="mz")
    with pytest.raises(ContractError, match="'bdc' but the file is named 'mz'"):
        load_contract(path)


def test_freshness_sla() -> None:
    c = load_contracts()
    daily, monthly = c["bdc"].freshness, c["sb"].freshness
    assert daily.due(date(2026, 10, 31)) == datetime(2026, 11, 1, 8, 0, tzinfo=CHINA_TZ)
    assert daily.expected_latest(datetime(2026, 11, 5, 7, 59)) == date(2026, 11, 3)
    assert daily.expected_latest(datetime(2026, 11, 5, 8, 0)) == date(2026, 11, 4)
    assert monthly.due(date(2026, 10, 31)) == datetime(2026, 11, 5, 18, 0, tzinfo=CHINA_TZ)
    assert monthly.expected_latest(datetime(2026, 11, 5, 17, 0)) == date(2026, 9, 30)
    assert monthly.expected_latest(datetime(2026, 11, 6, 9, 0)) == date(2026, 10, 31)
