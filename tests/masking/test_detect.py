"""Chinese PII detection: check characters, the annotated corpus (precision/recall per label), batch detection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gjj.cli import app
from masking.checksums import id_check_char, luhn_valid, valid_cn_id, valid_uscc
from masking.detect import detect
from masking.evaluation import evaluate, read_corpus
from masking.recognizers import LABELS

CORPUS = sorted((Path(__file__).parent / "corpus").glob("*.jsonl"))
CHECKSUM_BACKED = ("CN_ID", "BANK_CARD", "USCC")
# Format-backed (fixed shapes) are held to the same bar as check characters; names and addresses lower.
STRICT = (*CHECKSUM_BACKED, "CN_MOBILE", "CN_PHONE", "EMAIL", "PROPERTY_CERT", "PASSPORT", "HK_MACAU_PASS")
LOOSE = ("PERSON", "ADDRESS")


def test_check_characters() -> None:
    assert id_check_char("11010519491231002") == "X"  # GB 11643 example
    assert valid_cn_id("11010519491231002X") and valid_cn_id("11010519491231002x")
    assert not valid_cn_id("110105194912310021")
    assert not valid_cn_id("110105194902300027")  # 30 February
    assert valid_cn_id("110105491231002") and not valid_cn_id("110105491331002")  # 15-digit legacy: month 13
    assert luhn_valid("6222021702001234566") and not luhn_valid("6222021702001234567")
    assert valid_uscc("91110108551385082Q") and not valid_uscc("91110108551385082R")


@pytest.fixture(scope="module")
def corpus_scores() -> dict[str, object]:
    rows = read_corpus(CORPUS)
    assert len(rows) >= 500, f"corpus too small: {len(rows)} snippets"
    labels = {str(s["label"]) for r in rows for s in r["spans"]}  # type: ignore[attr-defined]
    assert labels == set(LABELS), f"corpus does not cover every label: missing {set(LABELS) - labels}"
    return dict(evaluate(rows))


@pytest.mark.parametrize("label", STRICT + LOOSE)
def test_corpus_precision_recall(corpus_scores: dict[str, object], label: str) -> None:
    score = corpus_scores[label]
    bar = 0.95 if label in STRICT else 0.85
    errors = "\n".join(score.errors[:15])  # type: ignore[attr-defined]
    assert score.precision >= bar, f"{label} precision {score.precision:.3f} < {bar}\n{errors}"  # type: ignore[attr-defined]
    assert score.recall >= bar, f"{label} recall {score.recall:.3f} < {bar}\n{errors}"  # type: ignore[attr-defined]


def test_spans_are_offsets_into_the_text() -> None:
    text = "借款人欧阳娜娜，身份证号41120219900820019X，手机138 1234 5678。"
    got = {(text[s.start:s.end], s.label) for s in detect(text)}
    assert got == {("欧阳娜娜", "PERSON"), ("41120219900820019X", "CN_ID"), ("138 1234 5678", "CN_MOBILE")}


def test_invalid_check_characters_are_not_reported() -> None:
    assert detect("证件号411202198503071238，卡号6222021702001234567") == []


def test_batch_detection_cli(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text('{"id": "a", "text": "职工王芳，电话0398-2871234"}\n\n{"id": 7, "text": "无敏感信息"}\n',
                   encoding="utf-8")
    result = CliRunner().invoke(app, ["pii", "detect", "--in", str(src), "--out", str(dst)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in dst.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in lines] == ["a", 7]
    assert [(s["start"], s["end"], s["label"]) for s in lines[0]["spans"]] == [(2, 4, "PERSON"), (7, 19, "CN_PHONE")]
    assert all(0 < s["score"] <= 1 for s in lines[0]["spans"]) and lines[1]["spans"] == []


@pytest.mark.parametrize(("line", "why"), [
    ('{"id": 1, "text": "ok"}\n{"id": 2 "text": "x"}\n', "not valid JSON"),
    ('{"id": 1, "text": "ok"}\n{"id": 2}\n', '"id" and "text"'),
    ('{"id": 1, "text": "ok"}\n{"id": 2, "text": 5}\n', '"text" must be a string'),
])
def test_batch_detection_names_the_bad_line(tmp_path: Path, line: str, why: str) -> None:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(line, encoding="utf-8")
    result = CliRunner().invoke(app, ["pii", "detect", "--in", str(src), "--out", str(dst)])
    assert result.exit_code == 1
    assert f"{src}:2" in result.output and why in result.output
    assert not dst.exists()


def test_fast_viterbi_finds_jiebas_path() -> None:
    """masking.nlp.viterbi is jieba's POS Viterbi over the transitions that exist: same score, same path."""
    import random
    import re

    import jieba.posseg
    from jieba.posseg.viterbi import viterbi as jieba_viterbi

    from masking.nlp import viterbi

    runs = {r for row in read_corpus(CORPUS) for r in re.findall(r"[\u4e00-\u9fd5]+", str(row["text"]))}
    chars = sorted({c for r in runs for c in r})
    rnd = random.Random(5)
    runs |= {"".join(rnd.choice(chars) for _ in range(rnd.randint(1, 8))) for _ in range(300)}
    runs |= {"".join(chr(rnd.randint(0x4E00, 0x9FA5)) for _ in range(rnd.randint(1, 6))) for _ in range(300)}
    model = (jieba.posseg.char_state_tab_P, jieba.posseg.start_P, jieba.posseg.trans_P, jieba.posseg.emit_P)
    assert [r for r in sorted(runs) if viterbi(r, *model) != jieba_viterbi(r, *model)] == []


def test_pre_filter_skips_only_impossible_labels() -> None:
    from masking.detect import candidate_labels

    assert detect("") == [] and detect("  ") == []
    assert candidate_labels("年度结息") == []  # no digit, no surname, no address detail: not analysed
    assert candidate_labels("汇缴２０２４年") == ["CN_ID", "CN_MOBILE", "CN_PHONE", "BANK_CARD", "USCC", "PASSPORT",
                                              "HK_MACAU_PASS"]  # full-width digits are \d too
    assert set(candidate_labels("王芳住六峰路12号，邮箱a@b.cn")) == set(LABELS) - {"PROPERTY_CERT"}
