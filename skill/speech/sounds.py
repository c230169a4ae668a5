"""The soft sounds that can play under a practice: ``templates/<lang>/sounds.json``.

Content, like the programs: which sounds there are (the ids people ask for, the
``SoundType`` slot's values), where each is in the Alexa Skills Kit sound library
(``soundbank://`` sources, so nothing is hosted), the one "some background sound" means,
and how loud they play under the voice. Their spoken names are in ``_sounds.ssml.j2``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from skill.paths import TEMPLATES_DIR

SOUNDS_FILE = "sounds.json"
DEFAULT_LANGUAGE = "en"
# Sources a document may name: the sound library, or audio hosted over HTTPS (Amazon's
# "URL requirements" for APL for Audio).
SOURCE_SCHEMES = ("soundbank://", "https://")
DEFAULT = "default"  # what the dialog stores for "some background sound"


class Sounds(NamedTuple):
    sources: dict[str, str]  # id -> source
    default: str | None  # the id "some background sound" plays
    volume: str  # the Volume filter's amount under the voice, e.g. "20%"

    def source(self, sound: str | None) -> str | None:
        """Where sound ``sound`` is (the default for one not known); None for no sound."""
        if not sound:
            return None
        found = self.sources.get(sound)
        if found is None and self.default is not None:
            found = self.sources.get(self.default)
        return found

    def resolve(self, words: str | None) -> str:
        """The id for a slot value ("rain", "the ocean"), or the default one's."""
        wanted = " ".join((words or "").lower().split())
        for sound in self.sources:
            if sound == wanted or sound in wanted.split():
                return sound
        return self.default or DEFAULT

    def problems(self) -> list[str]:
        found = []
        if self.default is not None and self.default not in self.sources:
            found.append(f"the default sound {self.default!r} is not one of the sounds")
        for sound, source in self.sources.items():
            if not source.startswith(SOURCE_SCHEMES):
                found.append(f"sound {sound!r}: {source!r} is not a soundbank:// or https:// URL")
        if not self.volume.endswith("%"):
            found.append(f"the volume {self.volume!r} is not a percentage")
        return found


NO_SOUNDS = Sounds({}, None, "20%")


def load_sounds(root: Path = TEMPLATES_DIR, language: str = DEFAULT_LANGUAGE) -> Sounds:
    try:
        data: dict[str, Any] = json.loads((root / language / SOUNDS_FILE).read_bytes())
    except FileNotFoundError:
        return NO_SOUNDS
    sources = {str(k): str(v) for k, v in (data.get("sounds") or {}).items()}
    default = data.get("default")
    return Sounds(sources, str(default) if default else None, str(data.get("volume") or "20%"))


@lru_cache(maxsize=4)
def get_sounds(root: Path = TEMPLATES_DIR) -> Sounds:
    """The sounds of this process's content, read once."""
    return load_sounds(root)
