"""An offline NLP engine for Presidio in Chinese: jieba word segmentation and part-of-speech tags.

Presidio needs an NlpEngine for two things here: tokens (its context enhancer looks for context words
among the tokens before a match) and, for our name and place recognizers, part-of-speech tags. jieba
gives both in one pass and needs no downloaded model; the tokens are wrapped in a spaCy ``Doc`` built
from a blank vocabulary (``spacy.blank`` is never asked to download anything). ADR 0020.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

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
_NAME_START = frozenset(vocab.SURNAMES) | {s[0] for s in vocab.COMPOUND_SURNAMES}


class _SurnameGatedPOSTokenizer(jieba.posseg.POSTokenizer):  # type: ignore[misc]
    def _POSTokenizer__cut(self, sentence: str) -> Iterator[jieba.posseg.pair]:
        if _NAME_START.isdisjoint(sentence):
            for ch in sentence:
                yield jieba.posseg.pair(ch, self.word_tag_tab.get(ch, "x"))
            return
        yield from super()._POSTokenizer__cut(sentence)


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
