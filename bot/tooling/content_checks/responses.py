"""Responses: each says where its content comes from, and phone numbers come only from settings.

Patients act on what the bot says, so the clinical review needs to trace every answer to the
approved article or to the safety design. The clinic's number changes per deployment
(CLINIC_PHONE, filled in by bot/responses.py); a number typed into YAML goes stale unnoticed.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import List

from bot.tooling.content_checks.loader import Problem, Project
from bot.vocabulary import PHONE_PLACEHOLDERS

SOURCE = re.compile(r"^(article: \S.*|safety(: \S.*)?|assistant(: ask the care team)?)$")
# A question the article does not answer (showering, work, sex, ...): the answer says so and
# gives the clinic's number, adding no advice of its own (docs/CONTENT.md, "Ask your care team").
CARE_TEAM = "assistant: ask the care team"
SAYS_NOT_COVERED = re.compile(r"\b(does not|doesn't) (cover|say|answer)\b", re.IGNORECASE)
PHONE = re.compile(r"\b\d{3}[-. ]\d{3}[-. ]\d{4}\b|\(\d{3}\)\s?\d{3}[-. ]\d{4}\b")
# "call {clinic_name}", "call your surgeon's office", "reach the clinic": the patient calls the
# clinic, so give the number. "the clinic team will call you" is not matched.
CALLS_CLINIC = re.compile(
    r"\b(?:call|phone|ring|dial|contact|reach)\s+(?:[\w']+\s+){0,3}?(?:clinic|office|\{clinic_name\})",
    re.IGNORECASE)
CALLS_DOCTOR = re.compile(r"\b(?:call|phone|contact)\s+(?:your|the)\s+(?:doctor|surgeon|nurse)", re.IGNORECASE)


def check_sources(project: Project) -> List[Problem]:
    problems = []
    for name, variation, line in project.responses():
        metadata = variation.get("metadata")
        source = metadata.get("source") if isinstance(metadata, dict) else None
        if source is None:
            problems.append(Problem(project.rel(project.domain_path), line, f"response {name} names no source",
                                    "add `metadata: {source: \"article: <section title>\"}`, `source: safety`, "
                                    f"`source: assistant` or `source: \"{CARE_TEAM}\"`"))
        elif not SOURCE.match(str(source)):
            problems.append(Problem(project.rel(project.domain_path), line,
                                    f"response {name} has source '{source}', which is not 'article: ...', "
                                    f"'safety', 'safety: ...', 'assistant' or '{CARE_TEAM}'",
                                    "write e.g. `source: \"article: How Long Does Leg Pain Last\"`"))
        elif source == CARE_TEAM:
            text = str(variation.get("text") or "")
            if "{clinic_phone}" not in text or not SAYS_NOT_COVERED.search(text):
                problems.append(Problem(project.rel(project.domain_path), line,
                                        f"response {name} defers to the care team but does not say that the "
                                        "article does not cover it, and give {clinic_phone}",
                                        "follow the model answer in docs/CONTENT.md, \"Ask your care team\""))
    return problems


def content_files(project: Project, with_tests: bool = True) -> List[Path]:
    """Everything the content team writes: answers, training data and (if asked) conversation tests."""
    found = [project.domain_path] if project.domain_path.exists() else []
    found += project.glob("data/**/*.yml") + project.heldout_files()
    return found + (project.conversation_files() if with_tests else [])


def check_phone_numbers(project: Project) -> List[Problem]:
    """Responses, examples and stories; not conversation tests, where a patient may type their own number."""
    problems = []
    for path in content_files(project, with_tests=False):
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            for match in PHONE.finditer(line):
                problems.append(Problem(project.rel(path), number,
                                        f"phone-number-like text '{match.group()}' (pattern ddd-ddd-dddd)",
                                        "write {clinic_phone} in responses; in examples and stories "
                                        "say 'the clinic's number' or drop the number"))
    return problems


def check_clinic_phone_placeholder(project: Project) -> List[Problem]:
    problems = []
    domain = project.rel(project.domain_path)
    for name, variation, line in project.responses():
        text = str(variation.get("text") or "")
        if any(f"{{{name}}}" in text for name in PHONE_PLACEHOLDERS):
            continue
        if CALLS_CLINIC.search(text):
            problems.append(Problem(domain, line, f"response {name} tells the patient to call the clinic "
                                    "but does not give {clinic_phone}", "add 'at {clinic_phone}'"))
        elif CALLS_DOCTOR.search(text):
            problems.append(Problem(domain, line, f"response {name} says to call the doctor without "
                                    "{clinic_phone}", "add 'at {clinic_name}: {clinic_phone}' if the "
                                    "clinic is who they should call", level="warning"))
    return problems
