"""Vectorized generators for realistic Chinese identifiers, names, phones and addresses.

ID numbers follow GB 11643 (ISO 7064 MOD 11-2 check digit), unified social credit codes
GB 32100 (MOD 31 check character), bank cards the Luhn algorithm. All functions take a numpy
Generator and return numpy string arrays, so that hundreds of thousands are made at once.
"""

from __future__ import annotations

import numpy as np

# 三门峡 districts (GB/T 2260): the area code is the first six digits of a local ID number.
DISTRICTS = {
    "411202": "湖滨区",
    "411203": "陕州区",
    "411221": "渑池县",
    "411224": "卢氏县",
    "411281": "义马市",
    "411282": "灵宝市",
}
# Other Henan prefixes for people born elsewhere.
OTHER_AREAS = ["410102", "410305", "410402", "410702", "411002", "411302", "411502", "411702", "610102"]

_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK = np.array(list("10X98765432"))


def digits_matrix(codes: np.ndarray, width: int) -> np.ndarray:
    """Digits of fixed-width numeric strings as an (n, width) int matrix."""
    raw = np.frombuffer("".join(codes).encode("ascii"), dtype=np.uint8).reshape(len(codes), width)
    return (raw - ord("0")).astype(np.int64)


def id_check_digit(body17: np.ndarray) -> np.ndarray:
    """GB 11643 check character for 17-digit bodies."""
    if len(body17) == 0:
        return np.array([], dtype="<U1")
    return _ID_CHECK[(digits_matrix(body17, 17) @ _ID_WEIGHTS) % 11]


def id_numbers(rng: np.random.Generator, birth: np.ndarray, male: np.ndarray, local_share: float = 0.85,
               taken: np.ndarray | None = None) -> np.ndarray:
    """18-digit resident ID numbers for birth dates (datetime64[D]) and sexes; unique within the call and
    distinct from the ``taken`` numbers (e.g. the people already in the core system)."""
    n = len(birth)
    local = np.array(list(DISTRICTS))
    area = np.where(rng.random(n) < local_share, rng.choice(local, n), rng.choice(np.array(OTHER_AREAS), n))
    ymd = np.datetime_as_string(birth, unit="D").astype("<U10")
    ymd = np.char.replace(ymd, "-", "")
    seq = rng.integers(0, 500, n) * 2 + np.where(male, 1, 0)
    return unique_id_numbers(rng, np.char.add(area, ymd), seq, taken)


def unique_id_numbers(rng: np.random.Generator, prefix14: np.ndarray, seq: np.ndarray,
                      taken: np.ndarray | None = None) -> np.ndarray:
    """ID numbers from area + birth date prefixes and 3-digit sequences (parity = sex), made collision-free:
    a number drawn twice in the call, or already in ``taken``, gets a new sequence of the same parity
    until every number is distinct (set-based, a few vectorized rounds)."""
    seq = np.asarray(seq, dtype=np.int64).copy()
    taken_bodies = np.asarray(taken if taken is not None else [], dtype=str).astype("<U17")  # casting keeps the first 17

    def bodies() -> np.ndarray:
        return np.char.add(prefix14, np.char.zfill(seq.astype(str), 3)).astype("<U17")

    body = bodies()
    while True:
        _, first = np.unique(body, return_index=True)
        dup = np.ones(len(body), dtype=bool)
        dup[first] = False
        dup |= np.isin(body, taken_bodies)
        if not dup.any():
            return np.char.add(body, id_check_digit(body))
        seq[dup] = rng.integers(0, 500, dup.sum()) * 2 + seq[dup] % 2
        body = bodies()


_USCC_CHARS = np.array(list("0123456789ABCDEFGHJKLMNPQRTUWXY"))
_USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_CHARS)}


def uscc_check_char(body17: str) -> str:
    """GB 32100 check character of one 17-character body."""
    total = sum(_USCC_VALUE[c] * w for c, w in zip(body17, _USCC_WEIGHTS, strict=True))
    return str(_USCC_CHARS[(31 - total % 31) % 31])


def uscc_codes(rng: np.random.Generator, n: int, area: np.ndarray) -> np.ndarray:
    """Unified social credit codes: registration dept 9 (市场监管) / 1 (机构编制), type, area, org code."""
    dept_type = rng.choice(np.array(["91", "12", "11", "52", "92"]), n, p=[0.62, 0.2, 0.1, 0.05, 0.03])
    org = rng.choice(_USCC_CHARS[:10], (n, 8))
    org_code = np.array(["".join(r) for r in org])
    org_check = rng.choice(_USCC_CHARS, n)
    bodies = np.char.add(np.char.add(np.char.add(dept_type, area), org_code), org_check)
    return np.array([b + uscc_check_char(b) for b in bodies])


def luhn_cards(rng: np.random.Generator, n: int, bins: np.ndarray) -> np.ndarray:
    """19-digit bank card numbers (6-digit BIN + 12 digits + Luhn check)."""
    body = np.char.add(rng.choice(bins, n), np.char.zfill(rng.integers(0, 10**12, n).astype(str), 12))
    d = digits_matrix(body, 18)
    # Luhn: double every second digit from the right of the body (positions 17, 15, ...)
    doubled = d[:, ::-1].copy()
    doubled[:, 0::2] *= 2
    doubled[doubled > 9] -= 9
    check = (10 - doubled.sum(axis=1) % 10) % 10
    return np.char.add(body, check.astype(str))


SURNAMES = np.array(list("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"))
COMPOUND_SURNAMES = np.array(["欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "令狐", "公孙"])
GIVEN = np.array(list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝丽阳妮宝贝初程梵罡恒鸿桦骅剑娇纪宽苛灵玛媚琪晴容睿烁堂唯威韦雯苇萱阅彦宇雨洋忠宗曼紫逸贤蝶菡绿蓝儿翠烟"))
PINYIN_SURNAME = {"王": "wang", "李": "li", "张": "zhang", "刘": "liu", "陈": "chen", "杨": "yang"}


def person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    surname = np.where(rng.random(n) < 0.01, rng.choice(COMPOUND_SURNAMES, n), rng.choice(SURNAMES, n))
    given = np.where(rng.random(n) < 0.7, np.char.add(rng.choice(GIVEN, n), rng.choice(GIVEN, n)), rng.choice(GIVEN, n))
    return np.char.add(surname, given)


def mobiles(rng: np.random.Generator, n: int) -> np.ndarray:
    prefix = rng.choice(np.array(["138", "139", "135", "137", "150", "151", "158", "186", "187", "133", "153", "177", "180", "189", "199"]), n)
    return np.char.add(prefix, np.char.zfill(rng.integers(0, 10**8, n).astype(str), 8))


ROADS = np.array(["崤山路", "黄河路", "六峰路", "和平路", "甘棠路", "文明路", "开发区路", "上阳路", "大岭路", "陕州大道", "湖滨大道", "建设路", "团结路", "涧河路"])
COMMUNITIES = np.array(["阳光小区", "黄河花园", "天鹅湖畔", "建业森林半岛", "锦江苑", "湖滨新城", "龙湖郡", "丽景苑", "凤凰城", "金色家园", "和谐家园", "御景园"])


def addresses(rng: np.random.Generator, n: int, area_codes: np.ndarray) -> np.ndarray:
    """House addresses in 三门峡: district + road + number + community + building/unit/room."""
    district = np.vectorize(DISTRICTS.get, otypes=["<U4"])(area_codes)
    no = rng.integers(1, 400, n).astype(str)
    bld = rng.integers(1, 30, n).astype(str)
    unit = rng.integers(1, 5, n).astype(str)
    room = (rng.integers(1, 33, n) * 100 + rng.integers(1, 5, n)).astype(str)
    parts = [np.full(n, "河南省三门峡市"), district, rng.choice(ROADS, n), no, np.full(n, "号"), rng.choice(COMMUNITIES, n),
             bld, np.full(n, "号楼"), unit, np.full(n, "单元"), room, np.full(n, "室")]
    out = parts[0]
    for p in parts[1:]:
        out = np.char.add(out, p)
    return out
