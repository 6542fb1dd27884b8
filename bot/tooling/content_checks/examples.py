"""Training examples: enough of them, none repeated, none leaking into the held-out test set.

A repeated example adds no information but weighs twice; the same words under two intents
teach the classifier to guess; a held-out example that is also trained on makes the NLU
gate (tests/model/test_nlu_heldout.py) measure memory instead of understanding.
"""
from __future__ import annotations

import difflib
import unicodedata
from collections import defaultdict
from typing import Dict, List

import numpy as np

from bot.tooling.content_checks.loader import ENTITY, Example, Problem, Project

MIN_EXAMPLES = 20
# Near-duplicates across intents. A pair is flagged when either measure reaches its threshold:
# - token-set Jaccard >= 0.9: the same words in another order ("is it normal" / "it is normal");
#   the word-count features cannot tell them apart. Below 10 distinct words this means equal sets.
# - difflib ratio >= 0.92 on the normalised text: a typo or a one-letter change
#   ("how long does it last" / "how long does it lasts"). One different word in a short
#   question ("can i drive" / "can i sit") scores far below, so real questions are not flagged.
NEAR_JACCARD = 0.9
NEAR_RATIO = 0.92


def normalise(text: str) -> str:
    """Lower case, entity markup and punctuation gone, spaces collapsed: "Can I drive?" -> "can i drive".

    Emoji are symbols, not punctuation, so "\U0001f44d" and "\U0001f44e" stay different.
    """
    text = ENTITY.sub(r"\1", text).lower().replace("'", "").replace("\u2019", "")
    return " ".join("".join(" " if unicodedata.category(c)[0] == "P" else c for c in text).split())


def _training(project: Project) -> List[Example]:
    return project.examples(project.data_files("nlu"))


def check_counts(project: Project) -> List[Problem]:
    by_intent: Dict[str, List[Example]] = defaultdict(list)
    for example in _training(project):
        by_intent[example.intent].append(example)
    return [Problem(found[0].path, found[0].line,
                    f"intent '{intent}' has {len(found)} training examples, the minimum is {MIN_EXAMPLES}",
                    f"add {MIN_EXAMPLES - len(found)} more ways a patient would say this")
            for intent, found in sorted(by_intent.items()) if len(found) < MIN_EXAMPLES]


def check_duplicates(project: Project) -> List[Problem]:
    problems: List[Problem] = []
    seen: Dict[str, Example] = {}
    for example in _training(project):
        key = normalise(example.text)
        first = seen.setdefault(key, example)
        if first is not example:
            where = "the same intent" if first.intent == example.intent else f"intent '{first.intent}'"
            problems.append(Problem(example.path, example.line,
                                    f"'{example.text}' ({example.intent}) repeats '{first.text}' of {where} "
                                    f"at {first.path}:{first.line}", "keep one of them (case, punctuation and "
                                    "spacing are ignored)"))
    for example in project.examples(project.heldout_files()):
        trained = seen.get(normalise(example.text))
        if trained:
            problems.append(Problem(example.path, example.line,
                                    f"held-out example '{example.text}' is also trained on at {trained.path}:"
                                    f"{trained.line}", "remove it from one side; held-out examples must be new"))
    return problems


def check_near_duplicates(project: Project) -> List[Problem]:
    """Compares each pair of intents' examples once, pruned so ~1500 examples take well under a second.

    difflib's ratio is at most 2*min(len)/(sum of lens) and at most its quick_ratio (shared letters,
    computed for a whole row at once with numpy), so pairs failing either bound are never scored.
    """
    unique = {normalise(e.text): e for e in reversed(_training(project))}
    items = sorted(((text, e) for text, e in unique.items() if text), key=lambda item: len(item[0]))
    texts = [text for text, _ in items]
    alphabet = {c: i for i, c in enumerate(sorted(set("".join(texts))))}
    counts = np.zeros((len(texts), max(len(alphabet), 1)), dtype=np.int32)
    for row, text in enumerate(texts):
        for char in text:
            counts[row, alphabet[char]] += 1
    lengths = np.array([len(t) for t in texts])
    tokens = [frozenset(t.split()) for t in texts]
    pairs: Dict[tuple, str] = {}
    for i, text in enumerate(texts):
        end = int(np.searchsorted(lengths, lengths[i] * (2 - NEAR_RATIO) / NEAR_RATIO, side="right"))
        shared = np.minimum(counts[i], counts[i + 1:end]).sum(axis=1)
        matcher = difflib.SequenceMatcher(None, b=text, autojunk=False)
        for j in np.nonzero(2 * shared >= NEAR_RATIO * (lengths[i] + lengths[i + 1:end]))[0] + i + 1:
            matcher.set_seq1(texts[j])
            if items[i][1].intent != items[j][1].intent and matcher.ratio() >= NEAR_RATIO:
                pairs[(i, int(j))] = f"difflib ratio {matcher.ratio():.2f} >= {NEAR_RATIO}"
    by_size: Dict[int, List[int]] = defaultdict(list)
    for i, words in enumerate(tokens):
        by_size[len(words)].append(i)
    for size, group in by_size.items():  # Jaccard >= 0.9 needs sizes within 10% of each other
        others = [j for s in by_size if size <= s <= size / NEAR_JACCARD for j in by_size[s]]
        for i in group:
            for j in others:
                key = (min(i, j), max(i, j))
                if i != j and key not in pairs and items[i][1].intent != items[j][1].intent:
                    jaccard = len(tokens[i] & tokens[j]) / len(tokens[i] | tokens[j])
                    if jaccard >= NEAR_JACCARD:
                        pairs[key] = f"same words (Jaccard {jaccard:.2f} >= {NEAR_JACCARD})"
    problems = []
    for (i, j), why in sorted(pairs.items()):
        a, b = sorted((items[i][1], items[j][1]), key=lambda e: (e.path, e.line))
        problems.append(Problem(b.path, b.line, f"'{b.text}' ({b.intent}) is nearly the same as '{a.text}' "
                                f"({a.intent}) at {a.path}:{a.line}: {why}",
                                "keep it under one intent, or reword it so the intents differ"))
    return problems
