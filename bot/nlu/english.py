"""The classifier's spaCy pipeline: `spacy.blank("en")` plus lookup lemmas, built once per process.

The red-flag detector tokenises the message again with its own pipeline (bot/red_flags/
matching.py), because it needs its own lemma fixes and sentence splits. Measured on the
red-flag corpus (on the machine of docs/BENCHMARKS.md, 2026-12-02): 0.28 ms per message here,
0.19 ms there, of a whole detection of about 1.6 ms and a turn of about 16 ms; sharing one
tokenisation would save under 2% of a turn, so the two components stay independent.

No trained spaCy model is downloaded (there is no network at run time); the lemma table comes
from the spacy-lookups-data package, loaded once per process for both (`lemma_lookups`): each
copy is about 8 MB of the Rasa server's memory (docs/BENCHMARKS.md, "Memory").
"""
from __future__ import annotations

from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.lookups import Lookups, load_lookups
from spacy.pipeline import Lemmatizer


@lru_cache(maxsize=1)
def lemma_lookups() -> Lookups:
    """spacy-lookups-data's English `lemma_lookup` table (word -> dictionary form)."""
    return load_lookups("en", ["lemma_lookup"])


@lru_cache(maxsize=1)
def english() -> Language:
    nlp = spacy.blank("en")
    lemmatizer = nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    assert isinstance(lemmatizer, Lemmatizer)
    lemmatizer.initialize(lookups=lemma_lookups())
    return nlp
