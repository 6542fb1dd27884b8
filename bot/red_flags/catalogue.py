"""Reads and checks the red-flag catalogue (data/red_flags.yml).

The catalogue is edited by people who do not read Python, so every mistake it can hold
(unknown tier, duplicate id, a flag with nothing to match, a typo in a key) fails loudly
at load time with the flag's id, instead of silently never firing in production.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

import yaml

from bot.settings import PROJECT_ROOT
from bot.vocabulary import ESCALATION_TIERS

# PyYAML's C parser: the same safe loading and the same values, ~10x faster than the pure-Python
# one (0.03 s instead of 0.3 s for this file), read at every server start and by the inbox page.
_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BASE_LOADER):  # type: ignore[misc,valid-type]
    """Refuses a key given twice in one mapping: YAML keeps the last silently, so a flag's second
    `patterns:` or `near:` would drop the first one's rules without a word."""


def _mapping(loader: Any, node: yaml.MappingNode, deep: bool = False) -> Dict[Any, Any]:
    keys = [loader.construct_object(key, deep=deep) for key, _ in node.value]
    repeated = sorted({str(k) for k in keys if keys.count(k) > 1})
    if repeated:
        raise CatalogueError(f"line {node.start_mark.line + 1}: {', '.join(repeated)} given twice "
                             "in one entry (merge them into one list)")
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_LOADER = _Loader

CATALOGUE_PATH = PROJECT_ROOT / "data" / "red_flags.yml"
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_FLAG_KEYS = {"id", "tier", "description", "phrases", "exact", "near", "patterns",
              "temperature", "normal_reading_cancels", "cancelled_by_normal_temperature",
              "explained_by", "explained_unless", "answered_no"}
_NEAR_KEYS = {"any_of", "near", "within", "exact", "across_but", "also", "sentences", "in_order", "not_with",
              "not_part_of"}


class CatalogueError(ValueError):
    """The catalogue cannot be used; the message names the flag and the problem."""


@dataclass(frozen=True)
class NearRule:
    any_of: Tuple[str, ...]
    near: Tuple[str, ...]
    within: int
    exact: bool = False
    across_but: bool = False
    also: Tuple[str, ...] = ()  # a third word that must be close to the pair too
    sentences: int = 0  # the words may lie this many sentences apart (0: same sentence)
    in_order: bool = False  # the any_of word must come before the near word
    not_with: Tuple[str, ...] = ()  # words within `within` of the pair in its sentence that say it is not the sign
    not_part_of: Tuple[str, ...] = ()  # phrases that, holding one of the pair's words, say it is not the sign


@dataclass(frozen=True)
class Flag:
    id: str
    tier: str
    description: str
    phrases: Tuple[str, ...] = ()
    exact: Tuple[str, ...] = ()
    near: Tuple[NearRule, ...] = ()
    patterns: Tuple[Any, ...] = ()
    # What the sign takes away, asked as a checklist's question and answered by a bare "no":
    # "Feeling in the groin? No." (bot/red_flags/matching.py, `_answered_no`)
    answered_no: Tuple[str, ...] = ()
    temperature: bool = False
    normal_reading_cancels: Tuple[str, ...] = ()
    # A sign that needs a fever to be possible: a message that gives only normal temperatures
    # ("temperature 36.9") does not affirm it.
    cancelled_by_normal_temperature: bool = False
    # Another cause told in the hit's sentence ("the codeine has bunged me up": constipation)
    # explains words that could be either ("sat on the toilet for ages, can't go"), unless
    # the hit's own words name the sign (`explained_unless`: "can't pee").
    explained_by: Tuple[str, ...] = ()
    explained_unless: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalogue:
    flags: Tuple[Flag, ...]
    language: Mapping[str, Any] = field(default_factory=dict)

    def flag(self, flag_id: str) -> Flag:
        return next(f for f in self.flags if f.id == flag_id)


def _words(value: Any, where: str) -> Tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        raise CatalogueError(f"{where}: expected a list of words or phrases")
    words = tuple(str(v).strip() for v in value if str(v).strip())
    return words


def _near(rule: Any, where: str) -> NearRule:
    if not isinstance(rule, dict) or set(rule) - _NEAR_KEYS:
        raise CatalogueError(f"{where}: a near rule has keys {sorted(_NEAR_KEYS)}")
    any_of, near = _words(rule.get("any_of"), where), _words(rule.get("near"), where)
    within = rule.get("within", 4)
    if not any_of or not near or not isinstance(within, int) or within < 0:
        raise CatalogueError(f"{where}: a near rule needs any_of, near and a whole `within`")
    sentences = rule.get("sentences", 0)
    if not isinstance(sentences, int) or isinstance(sentences, bool) or not 0 <= sentences <= 3:
        raise CatalogueError(f"{where}: `sentences` is 0, 1, 2 or 3")
    return NearRule(any_of, near, within, bool(rule.get("exact")), bool(rule.get("across_but")),
                    _words(rule.get("also"), where), sentences, bool(rule.get("in_order")),
                    _words(rule.get("not_with"), where), _words(rule.get("not_part_of"), where))


def _flag(raw: Any, index: int) -> Flag:
    if not isinstance(raw, dict):
        raise CatalogueError(f"flag #{index + 1}: expected a mapping")
    flag_id = str(raw.get("id", ""))
    where = f"flag {flag_id or '#' + str(index + 1)}"
    unknown = set(raw) - _FLAG_KEYS
    if unknown:
        raise CatalogueError(f"{where}: unknown keys {sorted(unknown)}")
    if not _ID.match(flag_id):
        raise CatalogueError(f"{where}: id must be snake_case")
    if raw.get("tier") not in ESCALATION_TIERS:
        raise CatalogueError(f"{where}: tier must be one of {ESCALATION_TIERS}")
    patterns = raw.get("patterns") or []
    if not isinstance(patterns, list) or not all(
        isinstance(p, list) and p and all(isinstance(t, dict) for t in p) for p in patterns
    ):
        raise CatalogueError(f"{where}: patterns must be lists of token dicts")
    for pattern in patterns:
        context = [bool(t.get("CONTEXT")) for t in pattern]
        # CONTEXT: only leading words of a fixed count, and never the whole pattern
        if any(context) and (all(context) or context[context.index(False):].count(True)
                             or any("OP" in t for t in pattern if t.get("CONTEXT"))):
            raise CatalogueError(f"{where}: CONTEXT marks only the first words of a pattern, without OP")
    flag = Flag(
        id=flag_id,
        tier=raw["tier"],
        description=str(raw.get("description") or "").strip(),
        phrases=_words(raw.get("phrases"), where),
        exact=_words(raw.get("exact"), where),
        near=tuple(_near(r, where) for r in raw.get("near") or []),
        patterns=tuple(patterns),
        answered_no=_words(raw.get("answered_no"), where),
        temperature=bool(raw.get("temperature")),
        normal_reading_cancels=_words(raw.get("normal_reading_cancels"), where),
        cancelled_by_normal_temperature=bool(raw.get("cancelled_by_normal_temperature")),
        explained_by=_words(raw.get("explained_by"), where),
        explained_unless=_words(raw.get("explained_unless"), where),
    )
    if flag.explained_by and not flag.explained_unless:
        raise CatalogueError(f"{where}: explained_by needs explained_unless (the words that name the sign)")
    if not flag.description:
        raise CatalogueError(f"{where}: needs a one-line description")
    if not (flag.phrases or flag.exact or flag.near or flag.patterns or flag.temperature):
        raise CatalogueError(f"{where}: has nothing to match")
    return flag


def _no_bare_booleans(value: Any, where: str) -> None:
    """YAML reads a lone no/yes/on/off as a boolean: "no" would silently stop negating."""
    if isinstance(value, dict):
        for key, item in value.items():
            _no_bare_booleans(item, f"{where}.{key}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, bool):
                raise CatalogueError(f"{where}: put quotes around no/yes/on/off, e.g. \"no\"")
            _no_bare_booleans(item, where)


def load_catalogue(path: Optional[Path] = None) -> Catalogue:
    """Load and validate the catalogue; raises CatalogueError on any problem."""
    path = Path(path or CATALOGUE_PATH)
    try:
        raw: Dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(f"cannot read {path}: {exc}") from exc
    except CatalogueError as exc:
        raise CatalogueError(f"{path}: {exc}") from exc
    if raw.get("catalogue") != "red_flags" or not isinstance(raw.get("flags"), list):
        raise CatalogueError(f"{path}: not a red-flag catalogue "
                             "(needs catalogue: red_flags and flags: [...])")
    _no_bare_booleans(raw, path.name)
    flags: List[Flag] = [_flag(f, i) for i, f in enumerate(raw["flags"])]
    ids = [f.id for f in flags]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise CatalogueError(f"{path}: duplicate flag ids {duplicates}")
    if sum(f.temperature for f in flags) > 1:
        raise CatalogueError(f"{path}: only one flag can take temperatures")
    language = raw.get("language") or {}
    if not isinstance(language, dict):
        raise CatalogueError(f"{path}: language must be a mapping")
    return Catalogue(tuple(flags), language)
