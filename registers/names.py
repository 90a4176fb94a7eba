"""The closest catalog or depot names to a name a register writes (救灾帐篷 → 救灾帐篷（12㎡单帐篷）, 城关镇 →
城关镇应急物资储备站), for a person to choose from. Names are compared normalised (half-width, no spaces, lower
case) and without the common suffixes of a depot's name; one name containing the other ranks first, then the
likeness of the two (difflib)."""
import difflib
import re
from dataclasses import dataclass

from registers.headers import normalise

SUFFIXES = ("应急物资储备站", "应急物资储备库", "应急物资储备点", "物资储备站", "物资储备库", "物资储备点", "储备站",
            "储备库", "储备点", "仓库", "站", "库")
_BRACKETS = re.compile(r"\([^()]*\)")


@dataclass(frozen=True)
class Candidate:
    name: str
    score: float  # 1.0 = the same name once normalised


def key(name: str) -> str:
    """The name as compared: normalised, without a note in brackets and without a depot suffix."""
    text = _BRACKETS.sub("", normalise(name)) or normalise(name)
    for suffix in SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


def score(name: str, candidate: str) -> float:
    a, b = normalise(name), normalise(candidate)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    ka, kb = key(name), key(candidate)
    if ka == kb:
        return 0.95
    short, long = sorted((ka, kb), key=len)
    if short and short in long:
        return round(0.7 + 0.2 * len(short) / len(long), 3)
    return round(0.7 * difflib.SequenceMatcher(None, ka, kb).ratio(), 3)


def closest(name: str, candidates, limit: int = 5, cutoff: float = 0.35) -> list[Candidate]:
    """The best ``limit`` candidates scoring at least ``cutoff``, best first (ties by name)."""
    scored = {Candidate(c, score(name, c)) for c in candidates}
    return sorted((c for c in scored if c.score >= cutoff), key=lambda c: (-c.score, c.name))[:limit]
