"""An offline NLP engine for Presidio in Chinese: jieba word segmentation and part-of-speech tags.

Presidio needs an NlpEngine for two things here: tokens (its context enhancer looks for context words
among the tokens before a match) and, for our name and place recognizers, part-of-speech tags. jieba
gives both in one pass and needs no downloaded model; the tokens are wrapped in a spaCy ``Doc`` built
from a blank vocabulary (``spacy.blank`` is never asked to download anything). ADR 0020.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from functools import lru_cache

import jieba
import jieba.posseg
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine
from spacy.tokens import Doc
from spacy.vocab import Vocab

from masking import vocab

jieba.setLogLevel(logging.WARNING)

LANGUAGE = "zh"
_PUNCT = set("，。、；：？！“”‘’（）《》【】—…·,.;:?!()[]<>-_/\\|\"' \t\r\n")
_STOPWORDS = frozenset(["的", "了", "在", "是", "和", "与", "及", "或", "于", "为", "由", "对", "将", "把", "被", "从", "向", "等", "也", "都", "而", "并", "其", "之", "所", "此", "该", "某"])


# jieba runs its part-of-speech HMM (Viterbi, pure Python: two thirds of the analyzer's time) on every run of
# characters its dictionary does not know. The HMM is there for the names it finds (tag nr); a run holding no
# surname character cannot start a name, so it is cut into single characters with their dictionary tags instead
# — what jieba does with HMM=False — which skips two thirds of the Viterbi calls on the corpus (ADR 0020).
NAME_START = frozenset(vocab.SURNAMES) | {s[0] for s in vocab.COMPOUND_SURNAMES}


# jieba's POS Viterbi (jieba/posseg/viterbi.py) scores every (previous state, state) pair of two neighbouring
# characters, although a state can follow only ≈ 20 of the 256 (B-nr is followed by M-nr or E-nr, …). This is the
# same computation over the pairs that have a transition: the same sums in the same order, the same tie-breaking
# (max over (score, state) tuples), and jieba's own full scan wherever no pair has a finite score — so the same
# path (tests/masking/test_detect.py compares the two). About three times faster.
_MIN_FLOAT = -3.14e100
_MIN_INF = float("-inf")
_State = tuple[str, str]


def _predecessors(trans_p: dict[_State, dict[_State, float]]) -> dict[_State, dict[_State, float]]:
    into: dict[_State, dict[_State, float]] = {}
    for y0, nexts in trans_p.items():
        for y, p in nexts.items():
            into.setdefault(y, {})[y0] = p
    return into


_INTO = _predecessors(jieba.posseg.trans_P)


def viterbi(obs: str, states: dict[str, tuple[_State, ...]], start_p: dict[_State, float],
            trans_p: dict[_State, dict[_State, float]], emit_p: dict[_State, dict[str, float]]
            ) -> tuple[float, list[_State]]:
    """``jieba.posseg.viterbi.viterbi`` for jieba's own transition table (``trans_P``), faster."""
    all_states = trans_p.keys()
    v = {y: start_p[y] + emit_p[y].get(obs[0], _MIN_FLOAT) for y in states.get(obs[0], all_states)}
    path: list[dict[_State, _State | str]] = [dict.fromkeys(v, "")]
    for t in range(1, len(obs)):
        prev_states = [x for x in path[t - 1] if len(trans_p[x]) > 0]
        expect_next = {y for x in prev_states for y in trans_p[x]}
        obs_states = set(states.get(obs[t], all_states)) & expect_next
        if not obs_states:
            obs_states = expect_next if expect_next else set(all_states)
        prev, prev_set = v, set(prev_states)
        v, back = {}, dict[_State, _State | str]()
        for y in obs_states:
            em = emit_p[y].get(obs[t], _MIN_FLOAT)
            into = _INTO.get(y, {})
            best: tuple[float, _State] | None = None
            for y0 in (prev_set.intersection(into) if len(into) < len(prev_states) else prev_states):
                p = into.get(y0)
                if p is not None:
                    cand = (prev[y0] + p + em, y0)
                    if best is None or cand > best:
                        best = cand
            if best is None or best[0] == _MIN_INF:  # jieba's scan, ties between -inf scores included
                best = max((prev[y0] + trans_p[y0].get(y, _MIN_INF) + em, y0) for y0 in prev_states)
            v[y], back[y] = best
        path.append(back)
    prob, state = max((p, y) for y, p in v.items())
    route: list[_State] = [("", "")] * len(obs)
    for i in range(len(obs) - 1, -1, -1):
        route[i] = state
        state = path[i][state]  # type: ignore[assignment]
    return prob, route


# The runs that do reach the HMM repeat across texts (路, 权第, 应还, a recurring name): its result for a run is a
# pure function of the run, so it is memoised (bounded; cleared by :func:`clear_caches`).
HMM_CACHE_SIZE = 50_000


class _SurnameGatedPOSTokenizer(jieba.posseg.POSTokenizer):  # type: ignore[misc]
    def __init__(self, tokenizer: jieba.Tokenizer) -> None:
        super().__init__(tokenizer)
        self._hmm_cut = lru_cache(maxsize=HMM_CACHE_SIZE)(self._hmm_cut_uncached)

    def _hmm_cut_uncached(self, sentence: str) -> tuple[jieba.posseg.pair, ...]:
        """jieba's ``POSTokenizer.__cut`` over :func:`viterbi`."""
        _, pos_list = viterbi(sentence, jieba.posseg.char_state_tab_P, jieba.posseg.start_P, jieba.posseg.trans_P,
                              jieba.posseg.emit_P)
        out, begin, nexti = [], 0, 0
        for i, char in enumerate(sentence):
            pos = pos_list[i][0]
            if pos == "B":
                begin = i
            elif pos == "E":
                out.append(jieba.posseg.pair(sentence[begin:i + 1], pos_list[i][1]))
                nexti = i + 1
            elif pos == "S":
                out.append(jieba.posseg.pair(char, pos_list[i][1]))
                nexti = i + 1
        if nexti < len(sentence):
            out.append(jieba.posseg.pair(sentence[nexti:], pos_list[nexti][1]))
        return tuple(out)

    def _POSTokenizer__cut(self, sentence: str) -> Iterator[jieba.posseg.pair]:
        if NAME_START.isdisjoint(sentence):
            for ch in sentence:
                yield jieba.posseg.pair(ch, self.word_tag_tab.get(ch, "x"))
            return
        yield from self._hmm_cut(sentence)


class JiebaNlpEngine(NlpEngine):
    """Presidio NlpEngine over jieba.posseg: token = jieba word, token.tag_ = jieba POS flag."""

    def __init__(self) -> None:
        self._vocab: Vocab | None = None
        # An own tokenizer (not jieba's global one) with the domain's words added.
        self._tokenizer = jieba.Tokenizer()
        self._pos = _SurnameGatedPOSTokenizer(self._tokenizer)

    def load(self) -> None:
        self._tokenizer.initialize()
        for word in vocab.CONTEXT_WORDS:
            self._tokenizer.add_word(word, 100_000, "n")
        for word in vocab.DIVISIONS:
            self._tokenizer.add_word(word, 100_000, "ns")
        self._vocab = Vocab()

    def words(self, text: str) -> list[tuple[str, str]]:
        """(word, part-of-speech flag) pairs covering ``text``."""
        return [(p.word, p.flag) for p in self._pos.cut(text, HMM=True)]

    def clear_caches(self) -> None:
        """Forget the memoised HMM runs (benchmarks measure from cold)."""
        self._pos._hmm_cut.cache_clear()

    def is_loaded(self) -> bool:
        return self._vocab is not None

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        if self._vocab is None:
            self.load()
        assert self._vocab is not None
        pairs = self.words(text)
        words = [w for w, _ in pairs] or [""]
        doc = Doc(self._vocab, words=words, spaces=[False] * len(words), tags=[f for _, f in pairs] or [""])
        indices, pos = [], 0
        for w in words:
            indices.append(pos)
            pos += len(w)
        artifacts = NlpArtifacts(entities=[], tokens=doc, tokens_indices=indices, lemmas=list(words),
                                 nlp_engine=self, language=language)
        # the recognizers read (word, flag, start) from here: iterating the spaCy Doc per recognizer costs more
        artifacts.jieba_tokens = [(w, f, i) for (w, f), i in zip(pairs, indices, strict=False)]  # type: ignore[attr-defined]
        return artifacts

    def process_batch(self, texts: Iterable[str], language: str, batch_size: int = 1, n_process: int = 1,
                      **kwargs: object) -> Iterator[tuple[str, NlpArtifacts]]:
        for text in texts:
            yield text, self.process_text(text, language)

    def is_stopword(self, word: str, language: str) -> bool:
        return word in _STOPWORDS

    def is_punct(self, word: str, language: str) -> bool:
        return bool(word) and all(c in _PUNCT for c in word)

    def get_supported_entities(self) -> list[str]:
        return []

    def get_supported_languages(self) -> list[str]:
        return [LANGUAGE]
