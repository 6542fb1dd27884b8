"""The TF-IDF logistic regressions' shared parts: the features, the trusted loader, and a fast predict.

The intent classifier and the tier reader are each `tfidf_features()` followed by a multinomial
logistic regression. sklearn's predict on one short message is mostly its own overhead (two
sparse matrices built and checked, `idf_` recomputed, `check_is_fitted`): about 1.1 ms, where the
arithmetic is a few dozen multiply-adds. `Predictor` does the same arithmetic straight from the
fitted vectorizers' analyzers, vocabularies and idf weights and the regression's coefficients:
about 0.14 ms, the same probabilities to within 1e-14 (tests/unit/test_nlu_components.py checks
both models against sklearn's predict_proba; docs/BENCHMARKS.md has the figures).

A pipeline is persisted in two files (`save`): the vectorizers' vocabularies as arrays of terms
in column order (`.vocabulary.npz`, read without pickle), and the rest with skops. skops writes a
dict as JSON with a type record for every key and value: the two models' vocabularies (about
76,000 n-grams) made 62 MB of JSON, whose parsing took the Rasa server's memory to a peak of
about 160 MB more than the arrays do, and 2 s more to start (docs/BENCHMARKS.md, "Memory").
"""
from __future__ import annotations

from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np
import skops.io as sio
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline, make_union
from sklearn.utils.extmath import softmax

# The only type in a persisted pipeline that skops does not trust by default: the TF-IDF
# weights are kept in a scipy sparse matrix.
TRUSTED_TYPES = {"scipy.sparse._csr.csr_matrix"}


def tfidf_features() -> FeatureUnion:
    """Words (1-2 grams) and characters inside words (2-5 grams, for typos like "microdisectomy"),
    each TF-IDF weighted with sublinear term frequency and normalised on its own (better than one
    norm over both: docs/NLU.md). The intent classifier's features, and the tier reader's."""
    return make_union(
        TfidfVectorizer(token_pattern=r"(?u)\b\w+\b", ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
    )


def _vectorizers(clf: Pipeline) -> List[TfidfVectorizer]:
    return [vectorizer for _, vectorizer in clf.named_steps["features"].transformer_list]


def save(clf: Pipeline, model_storage: ModelStorage, resource: Resource) -> None:
    """Persist a fitted pipeline: the vocabularies as term arrays, the rest with skops."""
    vectorizers = _vectorizers(clf)
    vocabularies = [vectorizer.vocabulary_ for vectorizer in vectorizers]
    terms = {}
    for number, vocabulary in enumerate(vocabularies):
        in_column_order = [""] * len(vocabulary)
        for term, column in vocabulary.items():
            in_column_order[column] = term
        terms[f"terms{number}"] = np.array(in_column_order, dtype=str)
    with model_storage.write_to(resource) as model_dir:
        np.savez(model_dir / f"{resource.name}.vocabulary.npz", **terms)
        try:
            for vectorizer in vectorizers:
                del vectorizer.vocabulary_
            sio.dump(clf, model_dir / f"{resource.name}.skops")
        finally:
            for vectorizer, vocabulary in zip(vectorizers, vocabularies, strict=True):
                vectorizer.vocabulary_ = vocabulary


def load_trusted(model_storage: ModelStorage, resource: Resource) -> Pipeline:
    """A persisted TF-IDF pipeline (the intent classifier's or the tier reader's). Trust exactly the
    types it needs and fail loudly on anything else rather than serve an untrained model (Rasa's
    own classifier silently falls back)."""
    with model_storage.read_from(resource) as model_dir:
        path = model_dir / f"{resource.name}.skops"
        untrusted = set(sio.get_untrusted_types(file=path)) - TRUSTED_TYPES
        if untrusted:
            raise ValueError(f"unexpected types in {path.name}: {sorted(untrusted)}")
        clf = sio.load(path, trusted=sorted(TRUSTED_TYPES))
        with np.load(model_dir / f"{resource.name}.vocabulary.npz", allow_pickle=False) as terms:
            for number, vectorizer in enumerate(_vectorizers(clf)):
                vectorizer.vocabulary_ = {term: column for column, term in enumerate(terms[f"terms{number}"].tolist())}
        return clf


_Block = Tuple[Callable[[str], List[str]], Dict[str, int], np.ndarray, bool, int]


class Predictor:
    """`clf.predict_proba(texts)` of a fitted `tfidf_features()` + multinomial LogisticRegression."""

    def __init__(self, clf: Pipeline) -> None:
        regression = clf.named_steps["regression"]
        if len(regression.classes_) < 3 or regression.multi_class == "ovr" or regression.solver == "liblinear":
            raise ValueError("Predictor reads multinomial regressions over three or more classes only")
        self.classes_ = regression.classes_
        self._blocks: List[_Block] = []
        offset = 0
        for vectorizer in _vectorizers(clf):
            if vectorizer.norm != "l2" or not vectorizer.use_idf or vectorizer.binary:
                raise ValueError("Predictor reads l2-normalised TF-IDF vectorizers only")
            self._blocks.append((vectorizer.build_analyzer(), vectorizer.vocabulary_,
                                 np.asarray(vectorizer.idf_, dtype=np.float64), vectorizer.sublinear_tf, offset))
            offset += len(vectorizer.vocabulary_)
        self._weights = np.ascontiguousarray(regression.coef_.T)  # one row per feature
        self._intercept = regression.intercept_

    def decision(self, text: str) -> np.ndarray:
        """The regression's decision function for one text: each block's TF-IDF row (counts, 1 + log
        when sublinear, times idf, l2-normalised) times its rows of the coefficients."""
        scores = self._intercept.copy()
        for analyze, vocabulary, idf, sublinear, offset in self._blocks:
            counts: Dict[int, int] = {}
            for gram in analyze(text):
                column = vocabulary.get(gram)
                if column is not None:
                    counts[column] = counts.get(column, 0) + 1
            if not counts:
                continue
            columns = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            weights = (np.log(tf) + 1.0 if sublinear else tf) * idf[columns]
            weights /= np.sqrt(weights @ weights)
            scores += weights @ self._weights[columns + offset]
        return scores

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return softmax(np.vstack([self.decision(text) for text in texts]))
