"""The classifier's spaCy pipeline: `spacy.blank("en")` plus lookup lemmas, built once per process.

The red-flag detector tokenises the message again with its own pipeline (bot/red_flags/
matching.py), because it needs its own lemma fixes and sentence splits. Measured on the
red-flag corpus (on the machine of docs/BENCHMARKS.md, 2026-12-02): 0.28 ms per message here,
0.19 ms there, of a whole detection of about 1.6 ms and a turn of about 16 ms; sharing one
tokenisation would save under 2% of a turn, so the two components stay independent.

No trained spaCy model is downloaded (there is no network at run time); the lemma tables come
from the spacy-lookups-data package.
"""
from __future__ import annotations

from functools import lru_cache

import spacy
from spacy.language import Language


@lru_cache(maxsize=1)
def english() -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp
