"""Find the symptom for what a person pastes: a dialog text, a whole log line, an error code.

Signals, strongest first: the symptom's id or title; a vendor-daemon exit reason decoded
from ``EXITING DUE TO SIGNAL n`` / ``exited with status n``; an entry of the shared message
catalogue (``checks.flexnet.catalogue``); a FlexLM error code (``checks.errors``); one of
the symptom's messages found in the text (any case, any spacing); and last a fuzzy
comparison (difflib) for typos and paraphrases. When two symptoms score about the same,
or nothing scores well, the caller gets the candidates instead of a guess.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, List, Optional, Set

from .model import Symptom, Tree

if TYPE_CHECKING:  # for the annotation only; the functions below import errors where they use it
    from ..errors import ErrorRef

MAX_TEXT = 20000  # a whole pasted log is fine; fuzzy matching only looks at the start
CONFIDENT = 0.6  # below this nothing is picked
MARGIN = 0.05  # the best must lead the second by this much
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u00a0": " "})


@dataclass
class Candidate:
    symptom: Symptom
    score: float
    reasons: List[str] = field(default_factory=list)

    def to_dict(self) -> Dict[str, object]:
        return {"id": self.symptom.id, "title": self.symptom.title, "score": round(self.score, 3),
                "reasons": list(self.reasons)}


@dataclass
class MatchResult:
    text: str
    candidates: List[Candidate]  # best first, at most a handful
    codes: List[str] = field(default_factory=list)  # the FlexLM codes found in the text, as written

    @property
    def best(self) -> Optional[Candidate]:
        """The one symptom the text means, or None when nothing fits or it is ambiguous."""
        if not self.candidates or self.candidates[0].score < CONFIDENT:
            return None
        if len(self.candidates) > 1 and self.candidates[1].score > self.candidates[0].score - MARGIN:
            return None
        return self.candidates[0]

    @property
    def ambiguous(self) -> bool:
        return self.best is None and bool(self.candidates) and self.candidates[0].score >= CONFIDENT


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text.translate(_QUOTES)).strip().lower()


def _words(text: str) -> List[str]:
    return re.findall(r"[a-z0-9][a-z0-9._-]*", text)


def _partial_ratio(needle: str, hay: str) -> float:
    """How well ``needle`` matches the best same-sized window of ``hay`` (word windows)."""
    if not needle or not hay:
        return 0.0
    if len(hay) <= len(needle) * 1.3:
        return difflib.SequenceMatcher(None, needle, hay, autojunk=False).ratio()
    nw, hw = needle.split(" "), hay.split(" ")
    # Windows only start at a word the needle shares (typos aside, one word is usually intact);
    # without that, random text would cost a comparison per message per word.
    anchors = {w for w in nw if len(w) >= 4}
    starts = sorted({max(0, i - j) for i, w in enumerate(hw) if w in anchors for j in range(len(nw))})
    if not starts:
        return 0.0
    n = len(nw)
    sm = difflib.SequenceMatcher(None, autojunk=False)
    sm.set_seq2(needle)
    best = 0.0
    for size in {n, n + 1, max(1, n - 1)}:
        for i in starts:
            if i + size > len(hw) + 1:
                continue
            sm.set_seq1(" ".join(hw[i:i + size]))
            if sm.real_quick_ratio() <= best or sm.quick_ratio() <= best:
                continue
            best = max(best, sm.ratio())
    return best


CODE = 0.9  # a FlexLM code the symptom lists
CODE_AND_WORDS = 0.97  # a listed (or context) code and one of the symptom's messages: the vendor said both
OFF_CODE_MESSAGE = 0.85  # a message match for a symptom that lists none of the text's codes
OFF_CODE_WEAK = 0.45  # words and similarity for such a symptom: never past the bar on their own
STRONG = ("name", "exit", "catalogue", "code", "message")


def match_symptoms(tree: Tree, text: str, limit: int = 5) -> MatchResult:
    """Rank the tree's symptoms for ``text``. Never raises.

    Codes first: when the text carries FlexLM error codes, a symptom that lists none of them is
    reached by its own messages at most, and never by similarity or keywords alone (-5 "No such
    feature exists" must not become "No SERVER lines" because the sentences look alike).
    """
    if not isinstance(text, str):
        text = ""
    raw = text[:MAX_TEXT]
    norm = normalize(raw)
    if not norm:
        return MatchResult(text, [])
    sig = _Signals()
    # Strongest signals first; within a symptom the reasons keep this order for equal scores.
    for s in tree.symptoms.values():
        if norm in (s.id, normalize(s.title)):
            sig.add(s.id, 1.0, "symptom name", "name")
    _exit_signals(tree, raw, sig)
    _catalogue_signals(tree, raw, sig)
    codes = _code_signals(tree, raw, sig)
    majors = {r.major for r in codes}
    fuzzy_text = norm[:2000]
    text_words = set(_words(fuzzy_text))
    for s in tree.symptoms.values():
        _text_signals(s, norm, fuzzy_text, text_words, majors, sig)
    out = _rank(tree, sig, majors)
    return MatchResult(text, out[:limit], [r.raw for r in codes])


class _Signals:
    """Everything the text said for each symptom, gathered before any of it is weighed."""

    def __init__(self) -> None:
        self.by_sid: Dict[str, List["tuple[float, str, str]"]] = {}  # sid -> (score, why, kind)
        self.exact: Dict[str, str] = {}  # sid -> the longest of its messages found in the text

    def add(self, sid: str, score: float, why: str, kind: str) -> None:
        self.by_sid.setdefault(sid, []).append((score, why, kind))


def _exit_signals(tree: Tree, raw: str, sig: _Signals) -> None:
    """Exit reasons: EXITING DUE TO SIGNAL n [Exit reason k] / exited with status n (reason)."""
    from ..errors import decode_exit_signal, find_exit_signals

    for ref in find_exit_signals(raw):
        if re.fullmatch(r"status\s+\d+", ref.raw.strip(), re.I):
            continue  # a bare "status n" is too weak on its own
        reasons_k: Set[Optional[int]] = {ref.reason} if ref.reason is not None else {
            d.reason for d in decode_exit_signal(ref.signal, None)}
        if ref.text and "another server" in ref.text.lower():
            reasons_k = {9}
        for s in tree.symptoms.values():
            hit = reasons_k & set(s.exit_reasons)
            if hit and len(reasons_k) == 1:
                sig.add(s.id, 1.0, f"exit reason {hit.pop()} in {ref.raw!r}", "exit")
            elif hit:
                sig.add(s.id, 0.7, f"{ref.raw!r} may mean exit reason {min(r for r in hit if r is not None)}", "exit")


def _catalogue_signals(tree: Tree, raw: str, sig: _Signals) -> None:
    """The shared catalogue of FlexNet messages."""
    try:
        from ..flexnet.catalogue import search_text

        hits = search_text(raw)
    except Exception:  # a catalogue problem must not stop the match; the other signals still count
        hits = []
    for h in hits:
        for s in tree.symptoms.values():
            if h.id in s.catalogue:
                sig.add(s.id, 0.9, f"known message {h.id}", "catalogue")


def _code_signals(tree: Tree, raw: str, sig: _Signals) -> List[ErrorRef]:
    """FlexLM error codes; returns the codes found, which later weigh every other signal."""
    from ..errors import find_error_codes

    try:
        codes = find_error_codes(raw)
    except Exception:  # pragma: no cover - find_error_codes never raises
        codes = []
    for code in codes:
        for s in tree.symptoms.values():
            if code.major in s.codes:
                sig.add(s.id, CODE, f"error code {code.raw}", "code")
    return codes


def _text_signals(s: Symptom, norm: str, fuzzy_text: str, text_words: Set[str], majors: Set[int],
                  sig: _Signals) -> None:
    """The symptom's messages in the text, and fuzzy matching for everything else."""
    best_fuzzy = 0.0
    for msg in s.messages:
        m = normalize(msg)
        if not m:
            continue
        if m in norm:
            # Longer messages are more specific; "no license" alone is weaker than a whole dialog text.
            sig.add(s.id, 0.8 + 0.15 * min(1.0, len(m) / 40.0), f"message {msg[:60]!r}", "message")
            if len(m) > len(sig.exact.get(s.id, "")):
                sig.exact[s.id] = m
            continue
        if len(fuzzy_text) >= 0.75 * len(m) and (len(fuzzy_text) <= len(m) * 1.3 or len(m) >= 12):
            best_fuzzy = max(best_fuzzy, _partial_ratio(m, fuzzy_text) if len(fuzzy_text) < 300
                             else difflib.SequenceMatcher(None, m, fuzzy_text[:len(m) * 2]).ratio())
    kw = [normalize(k) for k in s.keywords]
    if kw and text_words:
        got = [k for k in kw if (k in norm if " " in k else k in text_words)]
        if got:
            sig.add(s.id, min(0.55, 0.2 + 0.12 * len(got)), "words " + ", ".join(got[:4]), "keywords")
    if best_fuzzy >= 0.75:
        sig.add(s.id, 0.85 * best_fuzzy, f"similar text ({best_fuzzy:.0%})", "similar")
    # The vendor's own words with the code: the code narrows, the words decide.
    own = (set(s.codes) | set(s.context_codes)) & majors
    if own and s.id in sig.exact:
        sig.add(s.id, CODE_AND_WORDS, f"error code {min(own)} with the words {sig.exact[s.id][:50]!r}", "code")


def _rank(tree: Tree, sig: _Signals, majors: Set[int]) -> List[Candidate]:
    """Weigh each symptom's signals into one score, best first."""
    out: List[Candidate] = []
    # Similarity is for typos and paraphrases: once some symptom is named by its own message, a
    # code, the catalogue or an exit reason, look-alike text alone does not compete with it.
    named = {sid for sid, vals in sig.by_sid.items() if any(k in STRONG and k != "name" for _s, _w, k in vals)}
    for sid, vals in sig.by_sid.items():
        sym = tree.symptoms[sid]
        listed = bool((set(sym.codes) | set(sym.context_codes)) & majors)
        scored: List[float] = []
        for score, _why, kind in vals:
            if majors and not listed and kind == "message":
                score = min(score, OFF_CODE_MESSAGE)
            elif kind in ("keywords", "similar") and ((majors and not listed) or (named - {sid})):
                score = min(score, OFF_CODE_WEAK)
            scored.append(score)
        strong = sum(1 for _s, _w, k in vals if k in STRONG)
        # Independent signals add up a little, never past a certain match.
        score = min(1.0, max(scored) + 0.02 * max(0, strong - 1))
        # A longer message of another symptom contains this one's: that symptom is more specific.
        mine = sig.exact.get(sid)
        if mine and any(o != sid and len(m) > len(mine) and mine in m for o, m in sig.exact.items()):
            score -= 0.1
        why = list(dict.fromkeys(w for _s, w, _k in sorted(vals, key=lambda v: -v[0])))
        if majors and not listed:
            why.append(f"lists none of the codes {', '.join(str(c) for c in sorted(majors, reverse=True))}")
        out.append(Candidate(sym, score, why))
    out.sort(key=lambda c: (-c.score, c.symptom.id))
    return out
