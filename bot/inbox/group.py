"""Messages grouped by similarity, so a reviewer decides once for "how long will my leg ache",
"how long does leg ache last" and their cousins.

Character n-grams (TF-IDF, scikit-learn: already the classifier's library) tolerate the typos
patients make; each message joins the first group whose first message is at least `SIMILAR`
alike (cosine), else starts a group. Groups keep the inbox's order: safety first.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Sequence

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from bot.storage.inbox import InboxRecord

SIMILAR = 0.5


@dataclass
class Group:
    items: List[InboxRecord] = field(default_factory=list)

    @property
    def safety(self) -> bool:
        return any(item.safety for item in self.items)

    @property
    def ids(self) -> List[int]:
        return [item.id for item in self.items]

    @property
    def suggested(self) -> str:
        """The suggestion most items share."""
        names = [item.suggested for item in self.items if item.suggested]
        return max(names, key=names.count) if names else ""


def group(items: Sequence[InboxRecord], similar: float = SIMILAR) -> List[Group]:
    if not items:
        return []
    texts = [item.text.lower() for item in items]
    try:
        vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)).fit_transform(texts)
    except ValueError:  # nothing but symbols: every message alone
        return [Group([item]) for item in items]
    similarity = cosine_similarity(vectors)
    groups: List[Group] = []
    heads: List[int] = []
    for i, item in enumerate(items):
        for head, found in zip(heads, groups, strict=True):
            if similarity[i, head] >= similar and found.safety == item.safety:
                found.items.append(item)
                break
        else:
            heads.append(i)
            groups.append(Group([item]))
    return sorted(groups, key=lambda g: (not g.safety, -len(g.items)))
