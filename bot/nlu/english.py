"""The project's one spaCy pipeline: `spacy.blank("en")` plus lookup lemmas, built once per process.

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
