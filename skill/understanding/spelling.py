"""Typing slips put right: a word the model never uses becomes the nearest one it does.

"nxt" is "next", "repaet" is "repeat", "husbnad" is "husband". Only words outside the
vocabulary are touched, only by one edit (two for long words), and only towards words of
the model, so a correction can make a sentence match the samples but never invents one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable


def distance(a: str, b: str, limit: int) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) from ``a`` to ``b``;
    anything over ``limit`` is reported as ``limit + 1``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)


# How many corrections each speller remembers (oldest forgotten first).
SEEN_LIMIT = 4096


class Speller:
    def __init__(self, texts: Iterable[str]) -> None:
        self.counts: Counter[str] = Counter(word for text in texts for word in text.split())
        self.by_length: dict[int, list[str]] = {}
        # Words already put right (or found to have no neighbour): a long transcript
        # repeats its words, and a phone line hears the same slips again.
        self._seen: dict[str, str] = {}
        for word in self.counts:
            self.by_length.setdefault(len(word), []).append(word)

    def word(self, word: str) -> str:
        if word in self.counts or len(word) < 3 or not word.isalpha():
            return word
        known = self._seen.get(word)
        if known is None:
            known = self._seen[word] = self._nearest(word)
            if len(self._seen) > SEEN_LIMIT:
                self._seen.pop(next(iter(self._seen)))
        return known

    def _nearest(self, word: str) -> str:
        limit = 1 if len(word) < 8 else 2
        best: tuple[int, int, str] | None = None
        for length in range(len(word) - limit, len(word) + limit + 1):
            for known in self.by_length.get(length, ()):
                edits = distance(word, known, limit)
                if edits > limit:
                    continue
                # Fewest edits, then the word the samples use most.
                key = (edits, -self.counts[known], known)
                if best is None or key < best:
                    best = key
        return best[2] if best else word

    def correct(self, words: str) -> str:
        return " ".join(self.word(w) for w in words.split())
