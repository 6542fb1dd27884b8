"""Reads the content team's YAML keeping line numbers, so every problem points at the line to edit.

The checks only read; they never write. A file that does not parse is reported once here and
then skipped by every check, so one typo does not hide the rest of the report.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

ENTITY = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")  # [3 weeks](time_since_surgery)
TRAINING_KEYS = {"nlu", "stories", "rules"}


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str
    hint: str = ""
    level: str = "error"  # or "warning": listed, but does not fail `make validate`

    def __str__(self) -> str:
        hint = f" (hint: {self.hint})" if self.hint else ""
        return f"{self.path}:{self.line}: {self.level}: {self.message}{hint}"


@dataclass(frozen=True)
class Example:
    text: str  # as written, entity annotations included
    intent: str
    path: str
    line: int

    @property
    def plain(self) -> str:
        return ENTITY.sub(r"\1", self.text)


class Project:
    """The content files of one project root (the real one, or a test's tmp_path)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.problems: List[Problem] = []  # parse errors
        self._cache: Dict[Path, Any] = {}

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def glob(self, pattern: str) -> List[Path]:
        return sorted(p for p in self.root.glob(pattern) if p.is_file())

    def load(self, path: Path) -> Any:
        """The round-trip YAML (CommentedMap, CommentedSeq, scalars: they know their lines),
        or None when the file does not parse."""
        if path not in self._cache:
            self._cache[path] = None
            try:
                self._cache[path] = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
            except (YAMLError, UnicodeDecodeError) as exc:
                mark = getattr(exc, "problem_mark", None) if isinstance(exc, MarkedYAMLError) else None
                line = mark.line + 1 if mark else 1
                reason = str(getattr(exc, "problem", None) or exc).splitlines()[0].split(" with value")[0]
                self.problems.append(Problem(self.rel(path), line, f"not valid YAML: {reason}",
                                             "fix the syntax; every other check skips this file"))
        return self._cache[path]

    @property
    def domain_path(self) -> Path:
        return self.root / "domain.yml"

    def domain(self) -> CommentedMap:
        data = self.load(self.domain_path) if self.domain_path.exists() else None
        return data if isinstance(data, CommentedMap) else CommentedMap()

    def data_files(self, *keys: str) -> List[Path]:
        """Files under data/ holding any of `keys` at the top (catalogues without them are skipped)."""
        return [p for p in self.glob("data/**/*.yml")
                if isinstance(self.load(p), dict) and set(self.load(p)) & set(keys)]

    def heldout_files(self) -> List[Path]:
        return self.glob("tests/nlu/*.yml")

    def conversation_files(self) -> List[Path]:
        """The conversation tests Rasa runs: its test runner reads only files named test_*.yml."""
        return self.glob("tests/conversations/test_*.yml")

    def examples(self, files: List[Path]) -> List[Example]:
        """Intent examples, each with the line it is written on (block scalars start after `|`)."""
        found = []
        for path in files:
            for item in (self.load(path) or {}).get("nlu") or []:
                if not isinstance(item, CommentedMap) or "intent" not in item or "examples" not in item:
                    continue
                first = item.lc.value("examples")[0] + 2
                for offset, raw in enumerate(str(item["examples"]).split("\n")):
                    text = raw.strip()
                    if text.startswith("- "):
                        found.append(Example(text[2:].strip(), str(item["intent"]), self.rel(path),
                                             first + offset))
        return found

    def responses(self) -> Iterator[Tuple[str, Dict[str, Any], int]]:
        """(name, variation, line) for each variation; a second variation is named utter_x[2]."""
        for name, variations in (self.domain().get("responses") or {}).items():
            for index, variation in enumerate(variations or []):
                if isinstance(variation, CommentedMap):
                    label = name if index == 0 else f"{name}[{index + 1}]"
                    yield label, variation, variations.lc.item(index)[0] + 1

    def domain_intents(self) -> Dict[str, int]:
        """Intent name -> line in domain.yml (`- greet` or `- greet: {use_entities: ...}`)."""
        intents = self.domain().get("intents") or CommentedSeq()
        names = {}
        for index, entry in enumerate(intents):
            name = next(iter(entry)) if isinstance(entry, dict) else entry
            names[str(name)] = intents.lc.item(index)[0] + 1
        return names
