"""Chinese PII recognizers for Presidio: pattern + check character where the identifier has one,
jieba part-of-speech plus word lists for names and addresses.

Digit boundaries are ``(?<![0-9])…(?![0-9])``: ``\\b`` does not separate CJK characters from digits.
A pattern match whose check character fails is dropped (``validate_result`` → False); a valid one scores 1.0.
"""

from __future__ import annotations

import re

from presidio_analyzer import (
    AnalysisExplanation,
    EntityRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NlpArtifacts

from masking import vocab
from masking.checksums import luhn_valid, valid_cn_id, valid_uscc
from masking.nlp import LANGUAGE

LABELS = ("CN_ID", "CN_MOBILE", "CN_PHONE", "BANK_CARD", "USCC", "PERSON", "ADDRESS", "PROPERTY_CERT", "EMAIL",
          "PASSPORT", "HK_MACAU_PASS")
_ALNUM_L, _ALNUM_R = r"(?<![0-9A-Za-z])", r"(?![0-9A-Za-z])"
_DATE = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"


def _digits(text: str) -> str:
    return re.sub(r"[\s-]", "", text)


def _id_shaped(s: str) -> bool:
    """18 characters shaped like an ID (area code, real birth date): a mistyped ID is not a card or a USCC."""
    return bool(re.fullmatch(r"[1-9]\d{5}(?:18|19|20)\d{2}" + _DATE + r"\d{3}[\dXx]", s))


class ChineseIdRecognizer(PatternRecognizer):
    """居民身份证号: 18 characters (GB 11643 check character, X allowed), 15-digit legacy numbers."""

    def __init__(self) -> None:
        super().__init__(
            "CN_ID", name="ChineseIdRecognizer", supported_language=LANGUAGE, context=vocab.CN_ID_CONTEXT,
            patterns=[
                Pattern("cn_id_18", _ALNUM_L + r"[1-9]\d{5}(?:18|19|20)\d{2}" + _DATE + r"\d{3}[\dXx]" + _ALNUM_R, 0.5),
                Pattern("cn_id_18_spaced", _ALNUM_L + r"[1-9]\d{5} (?:18|19|20)\d{2}" + _DATE + r" \d{3}[\dXx]"
                        + _ALNUM_R, 0.5),
                Pattern("cn_id_15", _ALNUM_L + r"[1-9]\d{7}" + _DATE + r"\d{3}" + _ALNUM_R, 0.3),
            ])

    def validate_result(self, pattern_text: str) -> bool | None:
        s = _digits(pattern_text)
        if not valid_cn_id(s):
            return False
        return True if len(s) == 18 else None  # 15 digits carry no check digit: leave the score to context


class MobileRecognizer(PatternRecognizer):
    """Mainland mobile numbers (1[3-9]x, 11 digits), optionally +86 and spaced/hyphenated 3-4-4."""

    def __init__(self) -> None:
        super().__init__(
            "CN_MOBILE", name="MobileRecognizer", supported_language=LANGUAGE, context=vocab.MOBILE_CONTEXT,
            patterns=[Pattern("cn_mobile", r"(?<![0-9+])(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?![0-9]|\.\d)", 0.7)])


class LandlineRecognizer(PatternRecognizer):
    """Landline numbers with an area code: 0398-1234567, (0371)12345678, 010 12345678, extension -123."""

    def __init__(self) -> None:
        super().__init__(
            "CN_PHONE", name="LandlineRecognizer", supported_language=LANGUAGE, context=vocab.PHONE_CONTEXT,
            patterns=[
                Pattern("cn_landline", r"(?<![0-9])0[1-9]\d{1,2}[- ]?[2-9]\d{6,7}(?:-\d{1,4})?(?![0-9])", 0.6),
                Pattern("cn_landline_paren", r"[(（]0[1-9]\d{1,2}[)）] ?[2-9]\d{6,7}(?![0-9])", 0.7),
            ])

    def validate_result(self, pattern_text: str) -> bool | None:
        core = _digits(pattern_text.split("-")[0] if pattern_text.count("-") > 1 else pattern_text)
        core = re.sub(r"[()（）]", "", core)
        # 010/02x have 3-digit area codes + 8 digits; others 4-digit + 7/8 digits
        if core.startswith(("010", "02")):
            return None if len(core) in (11, 12) and not core.startswith("0" * 3) else False
        return None if len(core) in (11, 12) else False


class BankCardRecognizer(PatternRecognizer):
    """Bank card numbers: 16–19 digits (also in groups of four) passing Luhn; an 18-digit valid ID is not a card."""

    def __init__(self) -> None:
        super().__init__(
            "BANK_CARD", name="BankCardRecognizer", supported_language=LANGUAGE, context=vocab.BANK_CARD_CONTEXT,
            patterns=[
                Pattern("bank_card", r"(?<![0-9])[3-6]\d{15,18}(?![0-9])", 0.5),
                Pattern("bank_card_grouped", r"(?<![0-9])[3-6]\d{3}(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?(?![0-9])", 0.5),
            ])

    def validate_result(self, pattern_text: str) -> bool | None:
        s = _digits(pattern_text)
        if not 16 <= len(s) <= 19 or not luhn_valid(s):
            return False
        return not (len(s) == 18 and _id_shaped(s))


class UsccRecognizer(PatternRecognizer):
    """统一社会信用代码: 18 characters, GB 32100 check character."""

    def __init__(self) -> None:
        c = "[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]"
        super().__init__(
            "USCC", name="UsccRecognizer", supported_language=LANGUAGE, context=vocab.USCC_CONTEXT,
            patterns=[Pattern("uscc", _ALNUM_L + r"[1-9ANYany][0-9A-Za-z]\d{6}" + c + "{10}" + _ALNUM_R, 0.5)])

    def validate_result(self, pattern_text: str) -> bool | None:
        if not valid_uscc(pattern_text):
            return False
        return not _id_shaped(pattern_text)


class EmailRecognizer(PatternRecognizer):
    def __init__(self) -> None:
        super().__init__(
            "EMAIL", name="ChineseEmailRecognizer", supported_language=LANGUAGE, context=vocab.EMAIL_CONTEXT,
            patterns=[Pattern("email", r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+"
                                       r"(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,10}(?![A-Za-z0-9])", 0.9)])


class PropertyCertRecognizer(PatternRecognizer):
    """不动产权证号: 豫(2021)三门峡市不动产权第0012345号 (also 不动产证明第…号)."""

    def __init__(self) -> None:
        super().__init__(
            "PROPERTY_CERT", name="PropertyCertRecognizer", supported_language=LANGUAGE,
            context=vocab.PROPERTY_CERT_CONTEXT,
            patterns=[Pattern("property_cert", "[" + vocab.PROVINCE_ABBREVIATIONS + r"] ?[(（]\d{4}[)）] ?"
                              r"[\u4e00-\u9fa5]{1,15}?不动产(?:权|证明)第 ?\d{6,8} ?号", 0.95)])


class PassportRecognizer(PatternRecognizer):
    """People's Republic passports: E + 8 digits, E + letter + 7 digits (2012+), G/D/S/P + 8 digits."""

    def __init__(self) -> None:
        super().__init__(
            "PASSPORT", name="PassportRecognizer", supported_language=LANGUAGE, context=vocab.PASSPORT_CONTEXT,
            global_regex_flags=re.DOTALL | re.MULTILINE,
            patterns=[Pattern("passport", _ALNUM_L + r"(?:E[A-HJ-NP-Z0-9]\d{7}|[GDSP]\d{8})" + _ALNUM_R, 0.45)])


class HkMacauPassRecognizer(PatternRecognizer):
    """往来港澳通行证: C + 8 characters (card, 2014+: C + digit/letter + 7 digits), W + 8 digits (booklet)."""

    def __init__(self) -> None:
        super().__init__(
            "HK_MACAU_PASS", name="HkMacauPassRecognizer", supported_language=LANGUAGE,
            context=vocab.HK_MACAU_CONTEXT, global_regex_flags=re.DOTALL | re.MULTILINE,
            patterns=[Pattern("hk_macau_pass", _ALNUM_L + r"(?:C[A-HJ-NP-Z0-9]\d{7}|W\d{8})" + _ALNUM_R, 0.45)])


def _han(word: str) -> bool:
    return bool(word) and all("\u4e00" <= c <= "\u9fa5" for c in word)


def _surname_len(word: str) -> int:
    """1 or 2 when ``word`` starts with a (compound) surname, else 0."""
    if word[:2] in vocab.COMPOUND_SURNAMES:
        return 2
    return 1 if word[:1] in vocab.SURNAMES else 0


class _TokenRecognizer(EntityRecognizer):
    """Base for recognizers that read the jieba tokens of the NLP artifacts."""

    def load(self) -> None:
        pass

    def _result(self, start: int, end: int, score: float, explanation: str) -> RecognizerResult:
        name: str = self.name  # type: ignore[has-type]
        return RecognizerResult(
            self.supported_entities[0], start, end, score,
            analysis_explanation=AnalysisExplanation(recognizer=name, original_score=score,
                                                     textual_explanation=explanation),
            recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: name,
                                  RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id})

    @staticmethod
    def _tokens(nlp_artifacts: NlpArtifacts | None) -> list[tuple[str, str, int]]:
        if nlp_artifacts is None or nlp_artifacts.tokens is None:
            return []
        cached = getattr(nlp_artifacts, "jieba_tokens", None)
        if cached is not None:
            return list(cached)
        return [(t.text, t.tag_, i) for t, i in zip(nlp_artifacts.tokens, nlp_artifacts.tokens_indices, strict=True)]


class ChineseNameRecognizer(_TokenRecognizer):
    """Person names: right after a context word (姓名/职工/借款人 …) a surname + one or two given-name characters;
    elsewhere jieba ``nr`` words starting with a surname (joined with a following one-character ``nr``)."""

    def __init__(self) -> None:
        super().__init__(["PERSON"], name="ChineseNameRecognizer", supported_language=LANGUAGE,
                         context=vocab.PERSON_CONTEXT)
        self._anchors = tuple(sorted(set(vocab.CONTEXT_WORDS) & set(vocab.PERSON_CONTEXT) | {"复核人", "经办人"},
                                     key=len, reverse=True))

    def _after_anchor(self, text: str, start: int) -> int | None:
        """End of a name that starts at ``start`` right after a context word, or None."""
        sl = _surname_len(text[start:start + 2])
        if not sl:
            return None
        end = start + sl
        while end < len(text) and end - start - sl < 2 and _han(text[end]) and text[end] not in vocab.AFTER_NAME:
            end += 1
        return end if end - start > sl else None

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
                ) -> list[RecognizerResult]:
        toks = self._tokens(nlp_artifacts)
        found: dict[tuple[int, int], float] = {}

        def add(start: int, end: int, score: float) -> None:
            if 2 <= end - start <= 4 and text[start:end] not in vocab.NOT_NAMES:
                found[(start, end)] = max(score, found.get((start, end), 0.0))

        anchored: set[int] = set()
        for word, _, start in toks:
            if word.endswith(self._anchors):
                nxt = start + len(word)
                while nxt < len(text) and text[nxt] in ":： ":
                    nxt += 1
                end = self._after_anchor(text, nxt)
                if end is not None:
                    add(nxt, end, 0.85)
                    anchored.add(nxt)
        for k, (word, tag, start) in enumerate(toks):
            if start in anchored or not _han(word):
                continue
            sl = _surname_len(word)
            if not sl or not tag.startswith("nr"):
                continue
            end = start + len(word)
            # jieba splits unfamiliar given names: 吴子|芳, 司马|萍|辉
            while k + 1 < len(toks) and toks[k + 1][1].startswith("nr") and len(toks[k + 1][0]) == 1 \
                    and _han(toks[k + 1][0]) and end - start < sl + 2:
                k += 1
                end += 1
            if end - start > sl:
                add(start, end, 0.6)
            elif k + 1 < len(toks) and _han(toks[k + 1][0]) and len(toks[k + 1][0]) <= 2 \
                    and toks[k + 1][1] not in ("p", "u", "c", "uj", "ul", "d", "v"):
                add(start, end + len(toks[k + 1][0]), 0.5 if sl == 2 else 0.3)  # 唐|浩华: needs context
        return [self._result(s, e, sc, "surname + given name after a context word / jieba nr")
                for (s, e), sc in found.items()]


class ChineseAddressRecognizer(_TokenRecognizer):
    """Addresses: runs of jieba tokens made of places (``ns``, division names), streets, villages and
    numbered details (12号 3单元 402室 3组); a run needs at least a street, a village or a numbered detail."""

    def __init__(self) -> None:
        super().__init__(["ADDRESS"], name="ChineseAddressRecognizer", supported_language=LANGUAGE,
                         context=vocab.ADDRESS_CONTEXT)
        self._suffix_words = set(vocab.DIVISION_SUFFIXES) | set(vocab.STREET_SUFFIXES) | set(vocab.PLACE_SUFFIXES)
        self._place_ends = tuple(sorted(set(vocab.DIVISION_SUFFIXES) | set(vocab.STREET_SUFFIXES)
                                        | set(vocab.PLACE_SUFFIXES), key=len, reverse=True))
        self._detail_ends = tuple(sorted(set(vocab.STREET_SUFFIXES) | set(vocab.PLACE_SUFFIXES)
                                         | {"村", "社区", "镇", "乡"}, key=len, reverse=True))
        self._units = tuple(sorted(vocab.DETAIL_UNITS, key=len, reverse=True))
        self._provinces = tuple(vocab.PROVINCES)

    def _kind(self, word: str, tag: str, nxt: str | None) -> str | None:
        if not word:
            return None
        if word.isdigit() or re.fullmatch(r"\d+(?:-\d+)*", word) or word in ("-", "—", "之"):
            return "number"
        if word in self._units or re.fullmatch(r"\d+(?:" + "|".join(self._units) + ")", word):
            return "unit"
        if not _han(word):
            return None
        if word in self._suffix_words:
            return "suffix"
        if tag.startswith("ns") or word.startswith(self._provinces):
            return "place"
        if len(word) >= 2 and word.endswith(self._place_ends):
            return "place"
        if nxt is not None and nxt in self._suffix_words and len(word) <= 4:
            return "place"  # 六峰 + 路, 仰韶 + 镇
        if len(word) <= 2 and tag[:1] not in ("v", "p", "u", "c", "d", "r"):
            return "filler"  # 崤|山路, 后|川|村: kept only between places
        return None

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
                ) -> list[RecognizerResult]:
        toks = self._tokens(nlp_artifacts)
        kinds = [self._kind(w, t, toks[k + 1][0] if k + 1 < len(toks) else None) for k, (w, t, _) in enumerate(toks)]
        results, k = [], 0
        while k < len(toks):
            if kinds[k] != "place":
                k += 1
                continue
            j = k
            while j + 1 < len(toks) and kinds[j + 1] is not None:
                if kinds[j + 1] == "filler" and not any(
                        kinds[i] in ("place", "suffix", "unit") for i in range(j + 2, min(j + 4, len(toks)))):
                    break
                j += 1
            # a trailing bare number, connector or filler is not part of the address (…路12 → up to 路)
            while j > k and kinds[j] in ("number", "filler"):
                j -= 1
            run = toks[k:j + 1]
            words = [w for w, _, _ in run]
            joined = "".join(words)
            has_detail = any(kinds[i] == "unit" for i in range(k, j + 1)) or any(
                w.endswith(self._detail_ends) for w in words if _han(w)) or joined.endswith(self._detail_ends)
            places = sum(1 for i in range(k, j + 1) if kinds[i] == "place")
            if has_detail and len(run) >= 2 and places >= 1:
                start, end = run[0][2], run[-1][2] + len(run[-1][0])
                score = 0.85 if any(kinds[i] == "unit" for i in range(k, j + 1)) else 0.7
                results.append(self._result(start, end, score, "place tokens + street/number details"))
            k = j + 1
        return results


def chinese_recognizers() -> list[EntityRecognizer]:
    return [ChineseIdRecognizer(), MobileRecognizer(), LandlineRecognizer(), BankCardRecognizer(), UsccRecognizer(),
            EmailRecognizer(), PropertyCertRecognizer(), PassportRecognizer(), HkMacauPassRecognizer(),
            ChineseNameRecognizer(), ChineseAddressRecognizer()]
