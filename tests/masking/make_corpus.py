"""Generate tests/masking/corpus/generated.jsonl: labeled Chinese snippets (deterministic, seed 20261126).

    .venv/bin/python tests/masking/make_corpus.py

Each line: {"id", "text", "spans": [{"start", "end", "label"}]} (end exclusive). The values are random but
valid (check characters computed), the sentences are templates from the center's business; decoys (invalid
check characters, account numbers, serial numbers, amounts) must not be reported. Hand-written tricky cases
live in tricky.jsonl.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from masking.checksums import USCC_CHARSET, id_check_char, luhn_check_digit, uscc_check_char

OUT = Path(__file__).parent / "corpus" / "generated.jsonl"
rnd = random.Random(20261126)

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡杜程苏魏吕丁沈姚卢姜崔")
COMPOUND = ["欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "慕容", "令狐"]
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉萍文辉鹏飞宇浩然子涵梓轩欣怡雨晨")
AREAS = ["411202", "411203", "411221", "411224", "411281", "411282", "410102", "410105", "110101", "310115"]
PLACES = [("河南省", "三门峡市", "湖滨区"), ("河南省", "三门峡市", "陕州区"), ("", "三门峡市", "灵宝市"),
          ("", "", "渑池县"), ("河南省", "郑州市", "金水区"), ("", "洛阳市", "西工区"), ("", "", "卢氏县")]
STREETS = ["六峰路", "黄河路", "崤山路", "大岭路", "和平路", "上阳路", "文明路", "建设路", "迎宾大道", "人民街"]
TOWNS = [("仰韶镇", "北街村"), ("张村镇", "后川村"), ("故县镇", "西村"), ("城关镇", "东关村")]


def name() -> str:
    if rnd.random() < 0.15:
        return rnd.choice(COMPOUND) + "".join(rnd.choices(GIVEN, k=rnd.choice((1, 2))))
    return rnd.choice(SURNAMES) + "".join(rnd.choices(GIVEN, k=rnd.choice((1, 2, 2))))


def cn_id() -> str:
    body = rnd.choice(AREAS) + f"{rnd.randint(1955, 2003)}{rnd.randint(1, 12):02d}{rnd.randint(1, 28):02d}" \
        + f"{rnd.randint(0, 999):03d}"
    return body + id_check_char(body)


def cn_id_x() -> str:
    while True:
        s = cn_id()
        if s.endswith("X"):
            return s


def mobile() -> str:
    s = rnd.choice(["13", "15", "17", "18", "19"]) + f"{rnd.randint(0, 9)}{rnd.randint(0, 99999999):08d}"
    fmt = rnd.random()
    if fmt < 0.15:
        return f"{s[:3]} {s[3:7]} {s[7:]}"
    if fmt < 0.25:
        return f"{s[:3]}-{s[3:7]}-{s[7:]}"
    if fmt < 0.3:
        return "+86" + s
    return s


def landline() -> str:
    area, n = rnd.choice([("0398", 7), ("0371", 8), ("010", 8), ("021", 8)])
    num = str(rnd.randint(2, 8)) + "".join(str(rnd.randint(0, 9)) for _ in range(n - 1))
    return rnd.choice([f"{area}-{num}", f"({area}){num}", f"{area}{num}"])


def bank_card() -> str:
    body = rnd.choice(["622202", "621700", "622848", "623668", "436742"])
    body += "".join(str(rnd.randint(0, 9)) for _ in range((18 if body.startswith("62") else 15) - len(body)))
    s = body + luhn_check_digit(body)
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4)) if rnd.random() < 0.15 else s


def uscc() -> str:
    body = rnd.choice(["91", "92", "12", "52"]) + rnd.choice(AREAS) + "".join(rnd.choices(USCC_CHARSET[:10] +
                                                                                           USCC_CHARSET, k=9))
    return body + uscc_check_char(body)


def email() -> str:
    user = rnd.choice(["zhang", "li.ming", "wangfang88", "hr_dept", "gjj.user", "chen2020"]) + str(rnd.randint(1, 99))
    return user + "@" + rnd.choice(["163.com", "qq.com", "126.com", "smxgjj.gov.cn", "sina.com.cn"])


def address() -> str:
    if rnd.random() < 0.3:
        prov, city, county = rnd.choice(PLACES)
        town, village = rnd.choice(TOWNS)
        return f"{county}{town}{village}{rnd.randint(1, 12)}组"
    prov, city, county = rnd.choice(PLACES)
    s = f"{prov}{city}{county}{rnd.choice(STREETS)}{rnd.randint(1, 300)}号"
    if rnd.random() < 0.6:
        s += f"{rnd.randint(1, 30)}号楼{rnd.randint(1, 6)}单元{rnd.randint(1, 30)}{rnd.randint(1, 4):02d}室"
    return s


def property_cert() -> str:
    return f"豫({rnd.randint(2016, 2025)}){rnd.choice(['三门峡市', '灵宝市', '渑池县'])}不动产权第{rnd.randint(0, 9999999):07d}号"


def passport() -> str:
    if rnd.random() < 0.5:
        return "E" + rnd.choice("ABCDEFGH") + f"{rnd.randint(0, 9999999):07d}"
    return "E" + f"{rnd.randint(0, 99999999):08d}"


def hk_macau() -> str:
    return "C" + f"{rnd.randint(0, 99999999):08d}"


VALUES = {"PERSON": name, "CN_ID": cn_id, "CN_ID_X": cn_id_x, "CN_MOBILE": mobile, "CN_PHONE": landline,
          "BANK_CARD": bank_card, "USCC": uscc, "EMAIL": email, "ADDRESS": address, "PROPERTY_CERT": property_cert,
          "PASSPORT": passport, "HK_MACAU_PASS": hk_macau}

TEMPLATES = [
    "职工{PERSON}（身份证号{CN_ID}）于{D}申请提取住房公积金，联系电话{CN_MOBILE}。",
    "借款人{PERSON}，身份证号码{CN_ID_X}，还款账户{BANK_CARD}，本月应还{AMT}元。",
    "申请人{PERSON}现住{ADDRESS}，手机{CN_MOBILE}。",
    "单位统一社会信用代码{USCC}，联系人{PERSON}，办公电话{CN_PHONE}。",
    "购房地址：{ADDRESS}，不动产权证号{PROPERTY_CERT}，产权人{PERSON}。",
    "缴存人{PERSON}因出境定居销户提取，护照号码{PASSPORT}，收款银行卡{BANK_CARD}。",
    "{PERSON}持往来港澳通行证{HK_MACAU_PASS}办理业务，电子邮箱{EMAIL}。",
    "配偶姓名：{PERSON}，证件号码：{CN_ID}，家庭住址：{ADDRESS}",
    "请将材料发送至{EMAIL}，如有疑问致电{CN_PHONE}。",
    "{D}，{PERSON}在柜台办理了租房提取，金额{AMT}元，个人账号{GRZH}。",
    "共同借款人{PERSON}，手机号{CN_MOBILE}，单位信用代码{USCC}。",
    "经办人：{PERSON}；复核人：{PERSON}；业务流水号{YWLSH}。",
    "房屋坐落{ADDRESS}，权证{PROPERTY_CERT}。",
    "客户{PERSON}的身份证号为{CN_ID}，银行卡号为{BANK_CARD}，请核对。",
    "{D}汇缴入账{AMT}元，单位账号{DWZH}，摘要：{MONTH}汇缴。",
    "本月提取{AMT}元，业务流水号{YWLSH}，个人账号{GRZH}。",
    "证件号{BAD_ID}校验位不符，请重新录入；卡号{BAD_CARD}无效。",
    "联系方式{CN_MOBILE}（{PERSON}），通讯地址{ADDRESS}。",
    "收款人：{PERSON} 账号：{BANK_CARD} 开户行：中国建设银行三门峡分行",
    "法定代表人{PERSON}，营业执照统一社会信用代码{USCC}，住所{ADDRESS}。",
]


def fill(template: str) -> dict[str, object]:
    text, spans, pos = "", [], 0
    for m in re.finditer(r"\{(\w+)\}", template):
        text += template[pos:m.start()]
        key = m.group(1)
        if key in VALUES:
            value = VALUES[key]()
            label = "CN_ID" if key == "CN_ID_X" else key
            spans.append({"start": len(text), "end": len(text) + len(value), "label": label})
        else:
            value = decoy(key)
        text += value
        pos = m.end()
    text += template[pos:]
    return {"text": text, "spans": spans}


def decoy(key: str) -> str:
    if key == "D":
        return f"{rnd.randint(2019, 2025)}年{rnd.randint(1, 12)}月{rnd.randint(1, 28)}日"
    if key == "MONTH":
        return f"{rnd.randint(2019, 2025)}年{rnd.randint(1, 12):02d}月"
    if key == "AMT":
        return f"{rnd.randint(100, 500000)}.{rnd.randint(0, 99):02d}"
    if key in ("GRZH", "DWZH"):
        return "4112" + f"{rnd.randint(0, 99999999):08d}"
    if key == "YWLSH":
        return f"{rnd.randint(2019, 2025)}{rnd.randint(0, 10**12 - 1):012d}"
    if key == "BAD_ID":
        s = cn_id()
        return s[:17] + next(c for c in "0123456789X" if c != s[17])
    if key == "BAD_CARD":
        s = bank_card().replace(" ", "")
        return s[:-1] + str((int(s[-1]) + 1) % 10)
    raise KeyError(key)


TRICKY_SRC = Path(__file__).parent / "corpus" / "tricky.txt"
TRICKY_OUT = Path(__file__).parent / "corpus" / "tricky.jsonl"


def tricky() -> list[dict[str, object]]:
    """tricky.txt → rows: [[LABEL|value]] marks a span."""
    rows: list[dict[str, object]] = []
    for line in TRICKY_SRC.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, spans, pos = "", [], 0
        for m in re.finditer(r"\[\[(\w+)\|(.+?)\]\]", line):
            text += line[pos:m.start()]
            spans.append({"start": len(text), "end": len(text) + len(m.group(2)), "label": m.group(1)})
            text += m.group(2)
            pos = m.end()
        text += line[pos:]
        rows.append({"id": f"tricky-{len(rows):03d}", "text": text, "spans": spans})
    return rows


def main() -> None:
    hand = tricky()
    TRICKY_OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in hand), encoding="utf-8")
    print(f"{len(hand)} snippets → {TRICKY_OUT}")
    rows = []
    for i in range(600):
        row = fill(TEMPLATES[i % len(TEMPLATES)])
        rows.append({"id": f"gen-{i:04d}", **row})
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} snippets → {OUT}")


if __name__ == "__main__":
    main()
