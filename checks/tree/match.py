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
from typing import Dict, List, Optional

from .model import Symptom, Tree

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


def match_symptoms(tree: Tree, text: str, limit: int = 5) -> MatchResult:
    """Rank the tree's symptoms for ``text``. Never raises."""
    if not isinstance(text, str):
        text = ""
    raw = text[:MAX_TEXT]
    norm = normalize(raw)
    scores: Dict[str, List[float]] = {}
    reasons: Dict[str, List[str]] = {}

    def add(sid: str, score: float, why: str) -> None:
        scores.setdefault(sid, []).append(score)
        if why not in reasons.setdefault(sid, []):
            reasons[sid].append(why)

    if not norm:
        return MatchResult(text, [])
    for s in tree.symptoms.values():
        if norm in (s.id, normalize(s.title)):
            add(s.id, 1.0, "symptom name")

    # Exit reasons: EXITING DUE TO SIGNAL n [Exit reason k] / exited with status n (reason).
    try:
        from ..errors import decode_exit_signal, find_exit_signals

        for ref in find_exit_signals(raw):
            if re.fullmatch(r"status\s+\d+", ref.raw.strip(), re.I):
                continue  # a bare "status n" is too weak on its own
            reasons_k = {ref.reason} if ref.reason is not None else {
                d.reason for d in decode_exit_signal(ref.signal, None)}
            if ref.text and "another server" in ref.text.lower():
                reasons_k = {9}
            for s in tree.symptoms.values():
                hit = reasons_k & set(s.exit_reasons)
                if hit and len(reasons_k) == 1:
                    add(s.id, 1.0, f"exit reason {hit.pop()} in {ref.raw!r}")
                elif hit:
                    add(s.id, 0.7, f"{ref.raw!r} may mean exit reason {sorted(hit)[0]}")
    except ImportError:  # pragma: no cover - errors.py ships with lmdoctor
        pass

    # The shared catalogue of FlexNet messages.
    try:
        from ..flexnet.catalogue import search_text

        hits = search_text(raw)
    except Exception:
        hits = []
    for h in hits:
        for s in tree.symptoms.values():
            if h.id in s.catalogue:
                add(s.id, 0.9, f"known message {h.id}")

    # FlexLM error codes.
    try:
        from ..errors import find_error_codes

        codes = find_error_codes(raw)
    except Exception:
        codes = []
    for ref in codes:
        for s in tree.symptoms.values():
            if ref.major in s.codes:
                add(s.id, 0.9, f"error code {ref.raw}")

    # The symptom's messages in the text, and fuzzy matching for everything else.
    fuzzy_text = norm[:2000]
    text_words = set(_words(fuzzy_text))
    for s in tree.symptoms.values():
        best_fuzzy = 0.0
        for msg in s.messages:
            m = normalize(msg)
            if not m:
                continue
            if m in norm:
                # Longer messages are more specific; "no license" alone is weaker than a whole dialog text.
                add(s.id, 0.8 + 0.15 * min(1.0, len(m) / 40.0), f"message {msg[:60]!r}")
                continue
            if len(fuzzy_text) >= 0.75 * len(m) and (len(fuzzy_text) <= len(m) * 1.3 or len(m) >= 12):
                best_fuzzy = max(best_fuzzy, _partial_ratio(m, fuzzy_text) if len(fuzzy_text) < 300
                                 else difflib.SequenceMatcher(None, m, fuzzy_text[:len(m) * 2]).ratio())
        kw = [normalize(k) for k in s.keywords]
        if kw and text_words:
            got = [k for k in kw if (k in norm if " " in k else k in text_words)]
            if got:
                add(s.id, min(0.55, 0.2 + 0.12 * len(got)), "words " + ", ".join(got[:4]))
        if best_fuzzy >= 0.75:
            add(s.id, 0.85 * best_fuzzy, f"similar text ({best_fuzzy:.0%})")

    out: List[Candidate] = []
    for sid, vals in scores.items():
        vals = sorted(vals, reverse=True)
        # Independent signals add up a little, never past a certain match.
        score = min(1.0, vals[0] + 0.02 * (len(vals) - 1))
        out.append(Candidate(tree.symptoms[sid], score, reasons[sid]))
    out.sort(key=lambda c: (-c.score, c.symptom.id))
    return MatchResult(text, out[:limit])
