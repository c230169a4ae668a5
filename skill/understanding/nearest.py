"""A stand-in for Alexa's ear: the intent of the model sample nearest in meaning.

On an Echo the interaction model's samples are the only lever the skill has; Alexa's own
understanding is not available offline. This reader takes every sample (slots filled as
for training) and the requests meant for other skills (as the fallback), embeds them with
the same sentence encoder, and gives each utterance the intent of its nearest neighbour.
It is neutral (no training, no threshold), so it measures how well the samples cover what
people say, the way a richer reader such as Alexa's would build on them. Used by
``evaluate`` only.
"""

from __future__ import annotations

import numpy as np

from skill.understanding.out_of_domain import OUT_OF_DOMAIN
from skill.understanding.resolver import Resolution
from skill.understanding.samples import FALLBACK, Samples
from skill.understanding.text import canonical


class NearestSample:
    def __init__(self, samples: Samples) -> None:
        from skill.understanding.training import CachedEncoder

        self.samples = samples
        self.encoder = CachedEncoder()
        pairs = samples.training() + [(canonical(text), FALLBACK) for text in OUT_OF_DOMAIN]
        self.intents = [intent for _, intent in pairs]
        self.vectors = self.encoder.encode([text for text, _ in pairs])
        self.encoder.save()

    def resolve(self, text: str) -> Resolution:
        words = canonical(text)
        if not words:
            return Resolution()
        exact = self.samples.match(words)
        if exact is not None:
            return Resolution(exact.intent, exact.slots, source="exact")
        similarity = self.vectors @ self.encoder.one(words)
        best = int(np.argmax(similarity))
        return Resolution(self.intents[best], score=round(float(similarity[best]) * 100, 1))
