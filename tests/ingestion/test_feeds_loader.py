"""Feed loader: encoding detection, a folder of bad partner files, nothing lost, no double loads,
freshness."""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from gjj.settings import Settings
from ingestion.feed_contracts import CHINA_TZ
from ingestion.feed_loader import FeedFileError, check_freshness, detect_encoding, load_feeds, loaded_files

SCJG_HEADER = "统一社会信用代码,企业名称,登记状态,成立日期,注销日期,法定代表人,住所"
SCJG_ROW = "91411202MA45678901,三门峡黄河实业有限公司,存续,2010年03月04日,,张伟,湖滨区崤山路1号"
MZ_HEADER = "登记证字号,登记类型,男方姓名,男方身份证号,女方姓名,女方身份证号,登记日期,登记机关"
MZ_ROW = "J411202-2020-000001,结婚,张伟,41120219900101001X,李娜,411202199201010028,20200505,三门峡市湖滨区民政局婚姻登记处"
BDC_HEADER = "业务号,不动产单元号,不动产权证号,坐落,权利人,权利人证件号码,共有情况,登记类型,登记日期,建筑面积,成交价格,抵押权人,不动产登记证明号,被担保主债权数额"


def _bdc_row(
    i: int, date: str = "2023-02-28", id_no: str = "41120219900101001X", price: str = "400000.00"
) -> str:
    return (
        f"DJ2023022800000{i:03d},411202001001GB00001F{i:08d},豫(2023)三门峡市不动产权第{i:07d}号,"
        f"河南省三门峡市湖滨区和平路{i}号,张伟,{id_no},单独所有,转移登记,{date},89.50,{price},,,"
    )


# ------------------------------------------------------------------------------------------ encoding


@pytest.mark.parametrize(
    ("text", "codec", "expected"),
    [
        ("权利人,坐落\n张伟,三门峡市湖滨区\n", "gbk", "gbk"),
        ("权利人,坐落\n𠀀伟,三门峡市湖滨区\n", "gb18030", "gb18030"),  # U+20000 exists only in GB18030
        ("权利人,坐落\n张伟,三门峡市湖滨区\n", "utf-8-sig", "utf-8-sig"),
        ("权利人,坐落\n张伟,三门峡市湖滨区\n", "utf-8", "utf-8"),
    ],
)
def test_detect_encoding(text: str, codec: str, expected: str) -> None:
    assert detect_encoding(text.encode(codec)).encoding == expected


def test_detect_encoding_prefers_declared_cjk_codec_and_reports_failures() -> None:
    gbk = "张伟,三门峡".encode("gbk")
    assert detect_encoding(gbk, declared="gb18030").encoding == "gb18030"  # GBK text is valid GB18030
    with pytest.raises(FeedFileError) as err:
        detect_encoding(b"\x81\x20\x81\x20 plenty of text after the bad bytes")
    assert err.value.code == "undecodable"
    with pytest.raises(FeedFileError) as err:
        detect_encoding("张伟,三门峡市".encode("gb18030")[:-1])
    assert err.value.code == "truncated"


# ------------------------------------------------------------------------------------------ bad files


def _write(settings: Settings, feed: str, name: str, data: bytes) -> Path:
    folder = settings.landing_dir / feed
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def _xlsx(path: Path, sheet: str, rows: list[list[object]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path.read_bytes()


@pytest.fixture()
def bad_folder(tmp_path: Path) -> tuple[Settings, dict[str, object]]:
    """Landing folders with one broken file per problem; returns settings and the load report."""
    s = Settings(lakehouse_root=tmp_path / "lh")
    nl = "\n"
    # mz: declared UTF-8 with BOM, sent in GBK → loads, mismatch recorded
    _write(s, "mz", "mz_20261101.csv", (MZ_HEADER + nl + MZ_ROW + nl).encode("gbk"))
    # mz: cut in the middle of the last row
    _write(s, "mz", "mz_20261102.csv", (MZ_HEADER + nl + MZ_ROW + nl + MZ_ROW[:30]).encode("utf-8-sig"))
    # scjg: a contract column is missing → rejected
    missing = SCJG_HEADER.replace(",登记状态", "") + nl + SCJG_ROW.replace(",存续", "") + nl
    _write(s, "scjg", "scjg_20261101.csv", missing.encode("gbk"))
    # scjg: an extra column → loaded with a warning, values kept in _extra
    _write(
        s,
        "scjg",
        "scjg_20261102.csv",
        (SCJG_HEADER + ",联系电话" + nl + SCJG_ROW + ",0398-1234567" + nl).encode("gbk"),
    )
    # bdc: impossible date, full-width digits, a duplicated row, a duplicated key with other content
    rows = [
        _bdc_row(1),
        _bdc_row(2, date="2023-02-30"),
        _bdc_row(3, id_no="４１１２０２１９９００１０１００１Ｘ", price="４０００００.００"),
        _bdc_row(4),
        _bdc_row(4),
        _bdc_row(1, price="410000.00"),
        _bdc_row(5, date="2023-02-28").replace("转移登记", "预告登记"),
        "DJ20230228000009,411202",  # a row with too few fields (file still ends with a newline)
    ]
    _write(s, "bdc", "bdc_20261101.csv", (BDC_HEADER + nl + nl.join(rows) + nl).encode("gb18030"))
    # scjg: empty file (no header to check) → rejected; an empty JSON Lines file is a quiet day
    _write(s, "scjg", "scjg_20261103.csv", b"")
    _write(s, "ga", "ga_20261101.jsonl", b"")
    # ga: a good line, a broken line, a line missing the name
    good = {
        "id_no": "41120219900101001X",
        "name": "张伟",
        "sex": "男",
        "birth_date": "1990-01-01",
        "status": "正常",
    }
    lines = [
        json.dumps(good, ensure_ascii=False),
        "{not json",
        json.dumps({**good, "id_no": "411202199201010028", "name": None}),
    ]
    _write(s, "ga", "ga_20261102.jsonl", (nl.join(lines) + nl).encode("utf-8"))
    # sb: wrong sheet name, and a good workbook
    header = ["身份证号", "姓名", "单位统一社会信用代码", "缴费年月", "缴费基数"]
    row = ["41120219900101001X", "张伟", "91411202MA45678901", "202610", 5200]
    folder = s.landing_dir / "sb"
    folder.mkdir(parents=True)
    _xlsx(folder / "sb_20260930.xlsx", "Sheet1", [header, row])
    _xlsx(folder / "sb_20261031.xlsx", "缴费基数", [header, row, [None] * 5, [*row[:3], "202613", "5200.5"]])
    report = load_feeds(s)
    return s, {f.file: f for f in report.files} | {"_report": report}  # type: ignore[dict-item]


def _reason(s: Settings, feed: str, name: str) -> dict[str, object]:
    path = s.landing_dir / feed / "rejected" / f"{name}.reason.json"
    assert (s.landing_dir / feed / "rejected" / name).exists()
    return json.loads(path.read_text(encoding="utf-8"))


def _quarantine(s: Settings, name: str) -> list[tuple[int, str, str]]:
    q = pl.read_delta(str(s.bronze_dir / "_meta" / "quarantine")).filter(pl.col("source_object") == name)
    return sorted(q.select("row_number", "field", "reason").rows())


def test_rejected_files_have_machine_readable_reasons(bad_folder) -> None:  # type: ignore[no-untyped-def]
    s, files = bad_folder
    expected = {
        ("mz", "mz_20261102.csv"): "truncated",
        ("scjg", "scjg_20261101.csv"): "missing_column",
        ("scjg", "scjg_20261103.csv"): "empty_file",
        ("sb", "sb_20260930.xlsx"): "wrong_sheet",
    }
    for (feed, name), code in expected.items():
        assert files[name].status == "rejected", name
        reason = _reason(s, feed, name)
        assert reason["error_code"] == code
        assert reason["feed"] == feed and reason["file"] == name and len(str(reason["sha256"])) == 64
        assert reason["message"]
    assert _reason(s, "scjg", "scjg_20261101.csv")["details"]["missing"] == ["登记状态"]  # type: ignore[index]
    assert "缴费基数" in str(_reason(s, "sb", "sb_20260930.xlsx")["message"])
    assert not list((s.landing_dir / "mz").glob("*.csv"))  # nothing left waiting
    quiet = files["ga_20261101.jsonl"]
    assert quiet.status == "loaded" and quiet.rows_read == 0


def test_encoding_mismatch_is_a_warning_and_decodes(bad_folder) -> None:  # type: ignore[no-untyped-def]
    s, files = bad_folder
    f = files["mz_20261101.csv"]
    assert f.status == "loaded" and f.encoding_detected == "gbk" and f.rows_bronze == 1
    assert any("utf-8-sig" in w and "gbk" in w for w in f.warnings)
    mz = pl.read_delta(str(s.bronze_dir / "feeds" / "mz"))
    assert mz["husband_name"].to_list() == ["张伟"]


def test_extra_column_kept_with_warning(bad_folder) -> None:  # type: ignore[no-untyped-def]
    s, files = bad_folder
    f = files["scjg_20261102.csv"]
    assert f.status == "loaded" and any("联系电话" in w for w in f.warnings)
    scjg = pl.read_delta(str(s.bronze_dir / "feeds" / "scjg"))
    assert json.loads(scjg["_extra"][0]) == {"联系电话": "0398-1234567"}


def test_row_problems_quarantined_with_field_and_reason(bad_folder) -> None:  # type: ignore[no-untyped-def]
    s, files = bad_folder
    q = _quarantine(s, "bdc_20261101.csv")
    by_row = {r: (f, why) for r, f, why in q}
    assert set(by_row) == {2, 5, 6, 7, 8}
    assert by_row[2][0] == "登记日期" and "invalid date" in by_row[2][1] and "2023-02-30" in by_row[2][1]
    assert "duplicate row, same as row 4" in by_row[5][1]
    assert "duplicate key" in by_row[6][1] and "first at row 1" in by_row[6][1]
    assert by_row[7][0] == "登记类型" and "预告登记" in by_row[7][1]
    assert by_row[8][0] == "*" and "field count" in by_row[8][1]
    bdc = pl.read_delta(str(s.bronze_dir / "feeds" / "bdc")).sort("_row_number")
    assert bdc["_row_number"].to_list() == [1, 3, 4]
    full_width = bdc.filter(pl.col("_row_number") == 3).row(0, named=True)
    assert full_width["holder_id_no"] == "41120219900101001X" and str(full_width["price"]) == "400000.00"
    assert full_width["_source_system"] == "feed:bdc" and full_width["_source_object"] == "bdc_20261101.csv"
    assert full_width["reg_date"].isoformat() == "2023-02-28"
    ga = _quarantine(s, "ga_20261102.jsonl")
    assert [(r, f) for r, f, _ in ga] == [(2, "*"), (3, "name")]
    assert "invalid JSON" in ga[0][2] and "required" in ga[1][2]
    sb = _quarantine(s, "sb_20261031.xlsx")
    assert [(r, f) for r, f, _ in sb] == [(3, "缴费年月")]  # the empty row 2 is skipped, not lost data
    assert files["sb_20261031.xlsx"].warnings


def test_nothing_lost(bad_folder) -> None:  # type: ignore[no-untyped-def]
    s, files = bad_folder
    report = files["_report"]
    assert report.ok
    q = pl.read_delta(str(s.bronze_dir / "_meta" / "quarantine"))
    for f in report.files:
        if f.status != "loaded":
            continue
        table = pl.read_delta(str(s.bronze_dir / "feeds" / f.feed)).filter(pl.col("_source_object") == f.file)
        assert f.rows_read == table.height + q.filter(pl.col("source_object") == f.file).height, f.file
        assert f.rows_read == f.rows_bronze + f.rows_quarantine
    log = pl.read_delta(str(s.bronze_dir / "_meta" / "ingestion_log"))
    assert set(log["source_object"]) == {f.file for f in report.files}
    assert "rows read" in report.summary()


def test_same_file_twice_not_loaded_twice(bad_folder) -> None:  # type: ignore[no-untyped-def]
    s, files = bad_folder
    processed = s.landing_dir / "bdc" / "processed" / "bdc_20261101.csv"
    before = pl.read_delta(str(s.bronze_dir / "feeds" / "bdc")).height
    shutil.copy(processed, s.landing_dir / "bdc" / "bdc_20261101.csv")
    shutil.copy(processed, s.landing_dir / "bdc" / "bdc_20261105.csv")  # same content, another name
    report = load_feeds(s)
    assert [f.status for f in report.files] == ["duplicate", "duplicate"]
    assert pl.read_delta(str(s.bronze_dir / "feeds" / "bdc")).height == before
    assert report.count("duplicate") == 2 and report.ok
    notes = list((s.landing_dir / "bdc" / "processed").glob("*.note.json"))
    assert len(notes) == 2 and json.loads(notes[0].read_text(encoding="utf-8"))["reason"] == "already_loaded"
    statuses = loaded_files(s.bronze_dir).to_pylist()
    assert sum(r["status"] == "duplicate" for r in statuses) == 2


def test_freshness_late_and_missing(tmp_path: Path) -> None:
    s = Settings(lakehouse_root=tmp_path / "lh")
    nl = "\n"

    def scjg(day: str, arrived: datetime) -> None:
        p = _write(s, "scjg", f"scjg_{day}.csv", (SCJG_HEADER + nl + SCJG_ROW + nl).encode("gbk"))
        os.utime(p, (arrived.timestamp(), arrived.timestamp()))

    scjg("20261101", datetime(2026, 11, 2, 6, 30, tzinfo=CHINA_TZ))
    scjg("20261103", datetime(2026, 11, 6, 13, 0, tzinfo=CHINA_TZ))  # 3 days late
    scjg("20261104", datetime(2026, 11, 5, 7, 0, tzinfo=CHINA_TZ))
    load_feeds(s)  # loaded or waiting, arrival times count the same way
    fresh = {f.feed: f for f in check_freshness(s, datetime(2026, 11, 6, 14, 0))}
    f = fresh["scjg"]
    assert f.status == "late" and f.expected_date.isoformat() == "2026-11-05"
    assert f.latest_file_date is not None and f.latest_file_date.isoformat() == "2026-11-04"
    assert [d.isoformat() for d in f.missing_dates] == ["2026-11-02", "2026-11-05"]
    assert [x.file for x in f.late_files] == ["scjg_20261103.csv"]
    assert fresh["bdc"].status == "missing"
    # before the late file arrived it was simply not there
    earlier = {x.feed: x for x in check_freshness(s, datetime(2026, 11, 5, 9, 0))}["scjg"]
    assert earlier.status == "ok" and [d.isoformat() for d in earlier.missing_dates] == [
        "2026-11-02",
        "2026-11-03",
    ]
    assert earlier.late_files == []
    assert check_freshness(s, datetime(2026, 11, 5, 9, 0) + timedelta(days=30))[0].feed == "bdc"


def test_plain_xlsx_reader_agrees_with_openpyxl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The column-wise xlsx reader gives what openpyxl gives; Excel dates fall back to openpyxl."""
    from ingestion import feed_loader
    from ingestion.feed_contracts import FeedContract, load_contracts

    rows: list[list[object]] = [
        ["身份证号", "姓名", "单位统一社会信用代码", "缴费年月", "缴费基数"],
        ["41120219900101001X", "张<伟>&", "91411202MA45678901", "202610", 5200],
        [None] * 5,
        ["411202199201010028", "李娜", "91411202MA45678901", "202610", 5200.5],
        ["411202199201010028", None, "91411202MA45678901", 202609, "6,100.00"],
    ]
    data = _xlsx(tmp_path / "a.xlsx", "缴费基数", rows)
    contract = load_contracts()["sb"]
    fast = feed_loader.read_xlsx_bytes(data, "缴费基数", contract)
    with monkeypatch.context() as m:
        m.setattr(feed_loader, "_read_xlsx_plain", lambda *a: None)
        slow = feed_loader.read_xlsx_bytes(data, "缴费基数", contract)
    assert feed_loader._read_xlsx_plain(data, "缴费基数", contract) is not None
    assert fast.header == slow.header and fast.frame.equals(slow.frame) and fast.warnings == slow.warnings
    assert fast.frame["_row_number"].to_list() == [1, 3, 4] and fast.frame["姓名"][0] == "张<伟>&"
    # a date column holding Excel dates (numbers styled as dates) is read through openpyxl
    raw = contract.model_dump()
    raw["columns"][3] = {"source": "缴费年月", "name": "pay_month", "type": "date", "format": "%Y-%m-%d"}
    dated = FeedContract.model_validate(raw)
    wb_rows = [rows[0], [*rows[1][:3], datetime(2026, 10, 1), 5200]]
    data = _xlsx(tmp_path / "b.xlsx", "缴费基数", wb_rows)
    assert feed_loader._read_xlsx_plain(data, "缴费基数", dated) is None
    assert feed_loader.read_xlsx_bytes(data, "缴费基数", dated).frame["缴费年月"].to_list() == ["2026-10-01"]


def test_loader_fault_leaves_the_file_and_fails_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingestion import feed_loader

    s = Settings(lakehouse_root=tmp_path / "lh")
    path = _write(s, "scjg", "scjg_20261101.csv", (SCJG_HEADER + "\n" + SCJG_ROW + "\n").encode("gbk"))

    def boom(*_: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(feed_loader, "check_rows", boom)
    report = load_feeds(s)
    assert not report.ok and report.files[0].status == "error" and "disk full" in report.summary()
    assert path.exists()
