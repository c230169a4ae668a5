"""Words as the ear compares them: one spelling for what people type and what recognisers hear.

Typed chat and phone transcripts differ from the model's samples in ways that carry no
meaning: capitals and punctuation, apostrophes left out ("im", "dont"), speech forms
("gonna"), fillers ("um", "alexa"), British and American spelling. ``canonical`` maps all
of them to one form, and the samples go through it too, so both sides meet in the middle.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Said while thinking, or to the speaker, never meant as words of the request.
FILLERS = frozenset({"um", "umm", "uh", "uhh", "uhm", "erm", "er", "hmm", "hm", "mm", "alexa"})

# Contractions, with and without their apostrophe (speech to text and quick typing drop
# it), and speech forms: each to the full words, so "i'm", "im" and "i am" are one thing.
# Forms that are also other words ("ill", "well", "hell", "were", "wed", "id", "shell")
# are left alone; "its" is read as "it is" because in this product it almost always is.
_EXPANSIONS: dict[str, str] = {
    "i'm": "i am",
    "im": "i am",
    "i've": "i have",
    "ive": "i have",
    "i'll": "i will",
    "i'd": "i would",
    "you're": "you are",
    "youre": "you are",
    "you've": "you have",
    "you'll": "you will",
    "you'd": "you would",
    "he's": "he is",
    "hes": "he is",
    "he'll": "he will",
    "he'd": "he would",
    "hed": "he would",
    "she's": "she is",
    "shes": "she is",
    "she'll": "she will",
    "she'd": "she would",
    "they're": "they are",
    "theyre": "they are",
    "they'll": "they will",
    "they'd": "they would",
    "theyd": "they would",
    "they've": "they have",
    "we're": "we are",
    "we've": "we have",
    "we'll": "we will",
    "we'd": "we would",
    "it's": "it is",
    "its": "it is",
    "it'll": "it will",
    "that's": "that is",
    "thats": "that is",
    "there's": "there is",
    "theres": "there is",
    "what's": "what is",
    "whats": "what is",
    "where's": "where is",
    "who's": "who is",
    "how's": "how is",
    "let's": "let us",
    "lets": "let us",
    "don't": "do not",
    "dont": "do not",
    "doesn't": "does not",
    "doesnt": "does not",
    "didn't": "did not",
    "didnt": "did not",
    "won't": "will not",
    "wont": "will not",
    "wouldn't": "would not",
    "wouldnt": "would not",
    "can't": "can not",
    "cant": "can not",
    "cannot": "can not",
    "couldn't": "could not",
    "couldnt": "could not",
    "shouldn't": "should not",
    "shouldnt": "should not",
    "isn't": "is not",
    "isnt": "is not",
    "aren't": "are not",
    "arent": "are not",
    "wasn't": "was not",
    "wasnt": "was not",
    "weren't": "were not",
    "werent": "were not",
    "nobody's": "nobody is",
    "nobodys": "nobody is",
    "noone": "no one",
    "someone's": "someone is",
    "everyone's": "everyone is",
    "everybody's": "everybody is",
    "nothing's": "nothing is",
    "here's": "here is",
    "haven't": "have not",
    "havent": "have not",
    "hasn't": "has not",
    "hasnt": "has not",
    "hadn't": "had not",
    "ain't": "is not",
    "aint": "is not",
    "gonna": "going to",
    "wanna": "want to",
    "gotta": "got to",
    "kinda": "kind of",
    "sorta": "sort of",
    "dunno": "do not know",
    "lemme": "let me",
    "gimme": "give me",
    "cuz": "because",
    "cos": "because",
    "coz": "because",
    "pls": "please",
    "nxt": "next",
    "prev": "previous",
    "abt": "about",
    "w": "with",
    "b4": "before",
    "plz": "please",
    "u": "you",
    "ur": "your",
    "thx": "thanks",
    "ok": "okay",
    "k": "okay",
    "yeah": "yes",
    "yea": "yes",
    "ya": "yes",
    "nah": "no",
    "bf": "boyfriend",
    "gf": "girlfriend",
    "hubby": "husband",
    "idk": "i do not know",
    "tbh": "to be honest",
    "rn": "right now",
    "nite": "night",
    "tonite": "tonight",
    # Texting and social-media forms for suicide: said in earnest, they must be heard.
    "kms": "kill myself",
    "unalive": "kill",
    "unaliving": "killing",
    # One spelling for the words of this domain (en-GB and the rest double the l).
    "counselling": "counseling",
    "counsellor": "counselor",
    "counsellors": "counselors",
    "programme": "program",
    "programmes": "programs",
}

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_NOT_WORD = re.compile(r"[^a-z0-9' ]+")
_SPACES = re.compile(r"\s+")


def simple(text: str) -> str:
    """Lower case, letters, digits and apostrophes only, single spaces."""
    text = text.lower().translate(_APOSTROPHES)
    text = _NOT_WORD.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


# Making a resolver puts every sample of the model through this two or three times (the
# exact phrases, the speller's words, the slot patterns): remembered, the cold start of the
# ear is about 100 ms shorter (bench/ear.py).
@lru_cache(maxsize=1 << 15)
def canonical(text: str) -> str:
    """The form both sides of every comparison are put into (see the module's doc)."""
    words: list[str] = []
    for word in simple(text).split():
        word = word.strip("'")
        if not word or word in FILLERS:
            continue
        expanded = _EXPANSIONS.get(word)
        if expanded is None and word.endswith("'s"):
            # "my ex's car", "husband's": the possessive adds nothing the ear uses.
            expanded = word[:-2]
        words.append(expanded or word)
    return " ".join(words)
