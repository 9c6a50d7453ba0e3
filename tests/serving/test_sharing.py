"""Data-sharing control: contracts as data, catalog, shares/exports that enforce columns, filters, masking, expiry."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from gjj.settings import Settings
from serving.core.access import Registry, registry_path
from serving.core.sharing import SHARING_FILE, SharingError, load_sharing
from serving.routers import shares


@pytest.fixture
def keys(api_key: Callable[..., str]) -> dict[str, dict[str, str]]:
    return {cid: {"X-API-Key": api_key("business_officer", ["shares"], consumer_id=cid)}
            for cid in ("tjj", "zjj", "rsj", "nobody")}


def test_catalog_lists_own_contracts_and_inbound_feeds(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    body = client.get("/v1/shares/catalog", headers=keys["tjj"]).json()
    assert [c["id"] for c in body["contracts"]] == ["tjj-statistics"]
    grant = {g["product"]: g for g in body["contracts"][0]["grants"]}
    assert set(grant) == {"monthly_indicators", "unit_accounts"}
    cols = {c["name"]: c for c in grant["unit_accounts"]["columns"]}
    assert cols["dwzhye"]["masking"] == "keep" and "zzjgdm" not in cols
    assert {f["feed"] for f in body["inbound_feeds"]} >= {"bdc", "ga", "mz", "sb", "scjg"}
    assert client.get("/v1/shares/catalog", headers=keys["nobody"]).json()["contracts"] == []


def test_share_enforces_contract(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    r = client.get("/v1/shares/unit_accounts?limit=5", headers=keys["tjj"])
    assert r.status_code == 200 and r.headers["X-Contract"] == "tjj-statistics@v1"
    items = r.json()["items"]
    assert items and set(items[0]) == {"dwzh", "dwmc", "xzqh", "dwlb", "dwjcrs", "dwzhye"}
    r = client.get("/v1/shares/unit_accounts?columns=dwzh,zzjgdm", headers=keys["tjj"])
    assert r.status_code == 403 and "zzjgdm" in r.json()["message_en"]
    r = client.get("/v1/shares/member_accounts", headers=keys["rsj"])
    assert r.status_code == 403 and "expired on 2025-12-31" in r.json()["message_en"]
    r = client.get("/v1/shares/unit_accounts", headers=keys["zjj"])
    assert r.status_code == 403 and "no sharing contract" in r.json()["message_en"]
    r = client.get("/v1/shares/monthly_indicators", headers={"X-API-Key": client.headers["X-API-Key"]})
    assert r.status_code == 403  # the privileged test consumer has no contract: no contract, no share
    assert client.get("/v1/shares/no_such_product", headers=keys["tjj"]).status_code == 404
    assert client.get("/v1/shares/unit_accounts?columns=dwzh';DROP TABLE x", headers=keys["tjj"]).status_code == 403


def test_exports_csv_and_parquet(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    csv = client.get("/v1/shares/monthly_indicators?format=csv&limit=7", headers=keys["tjj"])
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert lines[0].replace('"', "").split(",") == ["tjny", "xzqh", "dwlb", "sjdws", "sjzgs", "jce", "jcye", "tqe",
                                                    "dkffe", "dkye"]
    assert len(lines) == 8
    pqr = client.get("/v1/shares/unit_accounts?format=parquet&limit=3", headers=keys["tjj"])
    table = pq.read_table(io.BytesIO(pqr.content))
    assert table.num_rows == 3 and table.column_names == ["dwzh", "dwmc", "xzqh", "dwlb", "dwjcrs", "dwzhye"]


def test_row_filters_and_masking_of_a_contract(client: TestClient, keys: dict[str, dict[str, str]], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    text = SHARING_FILE.read_text(encoding="utf-8").replace(
        "        columns: [dwzh, dwmc, xzqh, dwlb, dwjcrs, dwzhye]\n",
        "        columns: [dwzh, dwmc, xzqh, dwlb, dwjcrs, dwzhye, dwkhrq]\n"
        "        row_filters:\n          - {column: dwjcrs, op: gte, value: 5}\n", 1)
    f = tmp_path / "sharing.yaml"
    f.write_text(text.replace("role: leader", "role: leader\n    # test", 1), encoding="utf-8")
    monkeypatch.setattr(shares, "sharing", lambda: load_sharing(f))
    r = client.get("/v1/shares/unit_accounts?limit=1000", headers=keys["tjj"])
    items = r.json()["items"]
    assert items and all(i["dwjcrs"] >= 5 for i in items)
    assert all(i["dwkhrq"] is None or i["dwkhrq"].endswith("-01") for i in items)  # leader: month only
    assert "dwkhrq=generalize:month" in r.headers["X-Masked-Fields"]


@pytest.mark.parametrize(("old", "new", "why"), [
    ("product: withdrawals", "product: loans", "unknown product"),
    ("columns: [tqsqh, grzh,", "columns: [tqsqh, grzh_x,", "unknown columns"),
    ("role: leader", "role: mayor", "unknown role"),
    ("op: in", "op: like", "bad row filter"),
    ("    version: 2\n", "    version: 3\n", "every version needs a line"),
    ("dataset: withdrawal\n", "dataset: withdrawals_v2\n", "unknown dataset"),
])
def test_sharing_loader_rejects_bad_contracts(tmp_path: Path, old: str, new: str, why: str) -> None:
    text = SHARING_FILE.read_text(encoding="utf-8")
    assert old in text
    f = tmp_path / "sharing.yaml"
    f.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(SharingError, match=why):
        load_sharing(f)


def test_shares_are_logged_with_their_contract(client: TestClient, keys: dict[str, dict[str, str]],
                                               shared_snapshot: Settings) -> None:
    client.get("/v1/shares/unit_accounts?limit=2", headers=keys["tjj"])
    row = Registry(registry_path(shared_snapshot)).read_log("tjj", None, 1)[0]
    assert row["endpoint"] == "/v1/shares/unit_accounts" and row["rows_returned"] == 2
    assert '"contract": "tjj-statistics@v1"' in str(row["params"])
