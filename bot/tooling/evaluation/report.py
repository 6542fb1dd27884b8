"""The files `make evaluate` writes: report.json, report.md, confusion_matrix.png, comparison.md."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Dict, List, Optional

from bot.tooling.evaluation import multi_question, safety


def write_report(result: Dict, baseline: Optional[Dict], problems: List[str], out: Path) -> None:
    public = {k: v for k, v in result.items() if k != "confusion"}
    (out / "report.json").write_text(json.dumps({**public, "passed": not problems, "problems": problems},
                                                indent=2) + "\n")
    (out / "report.md").write_text(markdown(result, baseline, problems))
    confusion_png(result["confusion"], out / "confusion_matrix.png")


def _row(name: str, now: float, before: Optional[float], percent: bool = False) -> str:
    show = (lambda v: f"{v:.1%}") if percent else (lambda v: f"{v:.3f}")
    if before is None:
        return f"| {name} | {show(now)} | - | - |"
    change = f"{(now - before) * 100:+.1f} pts" if percent else f"{now - before:+.3f}"
    return f"| {name} | {show(now)} | {show(before)} | {change} |"


def markdown(result: Dict, baseline: Optional[Dict], problems: List[str]) -> str:
    base = baseline or {}
    old = base.get("per_intent_f1", {})
    flags = result["red_flags"]
    what = f"model `{result['model']}`" if result.get("model") else f"config `{result.get('config')}`"
    against = f"baseline of {base.get('date')} ({base.get('config')})" if baseline else "no baseline"
    lines = ["# NLU evaluation", "", f"{what}, {result.get('date', '')}; {against}", "",
             f"**{'FAILED' if problems else 'PASSED'}**"]
    lines += [""] + [f"- {p}" for p in problems] if problems else []
    lines += ["", "| metric | now | baseline | change |", "| --- | --- | --- | --- |",
              _row(f"intent macro-F1 (held-out, {len(result['confusion']['truth'])} examples)",
                   result["macro_f1"], base.get("macro_f1")),
              _row(f"emergency recall ({flags.get('emergency_phrasings', '?')} phrasings)",
                   flags["emergency_recall"], base.get("emergency_recall"), True),
              _row(f"urgent recall ({flags.get('urgent_phrasings', '?')} phrasings)",
                   flags["urgent_recall"], base.get("urgent_recall"), True),
              _row(f"false escalation ({flags.get('lookalikes', '?')} look-alikes)",
                   flags["false_escalation"], base.get("false_escalation"), True)]
    if "cross_validation_macro_f1" in result:
        lines.append(_row("cross-validated macro-F1 (data/nlu)", result["cross_validation_macro_f1"], None))
    lines.append(f"| mean parse time per message | {result['parse_ms']} ms | - | - |")
    lines += ["", "## Per intent", "", "| intent | precision | recall | F1 | baseline F1 | change | support |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for intent, m in result["per_intent"].items():
        before, change = ("-", "new") if intent not in old else (f"{old[intent]:.2f}", f"{m['f1'] - old[intent]:+.3f}")
        lines.append(f"| {intent} | {m['precision']:.2f} | {m['recall']:.2f} | {m['f1']:.2f} | {before} | "
                     f"{change} | {m['support']} |")
    lines += [f"| {intent} (gone) | - | - | - | {old[intent]:.2f} | - | 0 |"
              for intent in sorted(set(old) - set(result["per_intent"]))]
    lines += ["", f"## Misclassified held-out examples ({len(result['misclassified'])})", "",
              "| expected | predicted | confidence | text |", "| --- | --- | --- | --- |"]
    lines += [f"| {m['expected']} | {m['predicted']} | {m['confidence']:.2f} | {m['text']} |"
              for m in result["misclassified"]]
    lines += ["", f"## Red-flag phrasings not escalated ({len(flags['missed'])})", ""]
    lines += [f"- {m['tier']}: {m['text']}" for m in flags["missed"]] or ["none"]
    lines += ["", f"## Look-alikes escalated ({len(flags['escalated'])})", ""]
    lines += [f"- {t}" for t in flags["escalated"]] or ["none"]
    known = flags.get("known_misses", [])
    lines += ["", f"## The detector's known misses (corpus `known_misses`, not gated): "
              f"{sum(k['escalated'] for k in known)} of {len(known)} escalated by the whole model", ""]
    lines += [f"- {k['tier']}: {k['text']} ({'' if k['escalated'] else 'NOT '}escalated)" for k in known]
    lines += multi_question_markdown(result.get("multi_question"))
    lines += safety_sets_markdown(result.get("safety_sets", {}))
    return "\n".join(lines) + "\n"


def multi_question_markdown(figures: Optional[Dict]) -> List[str]:
    """Several questions in one message (tests/nlu/multi_question.yml; docs/NLU.md): the figures,
    then every message with a question left unanswered or an answer nobody asked for."""
    if not figures:
        return []
    lines = ["", f"## Several questions in one message ({figures['messages']} messages, "
             f"{figures['several']} asking several things)", ""]
    lines += [f"- {line}" for line in multi_question.summary_lines(figures)]
    lines += [f"- mean parse time per message of this set: {figures['parse_ms']} ms", "",
              "| asked | answered first | added | unanswered | wrong added | text |",
              "| --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {', '.join(r['asked'])} | {r['main']} | {', '.join(r['added'])} | {', '.join(r['unanswered'])} | "
              f"{', '.join(r['wrong_added'])} | {r['text']} |"
              for r in figures["failures"] + figures.get("heldout_failures", [])]
    return lines


def safety_sets_markdown(sets: Dict) -> List[str]:
    """Per set: the figures with their 95% bounds, then every miss and every needless escalation."""
    lines: List[str] = []
    for name, figures in sets.items():
        lines += ["", f"## Set `{name}` ({figures['cases']} messages; docs/SAFETY.md)", ""]
        lines += [f"- {line.split(': ', 1)[1]}" for line in safety.summary_lines(name, figures)]
        lines += ["", "| what | expected | got | sign | kind | text |", "| --- | --- | --- | --- | --- | --- |"]
        for what, rows in (("missed", figures["missed"]), ("needless escalation", figures["benign_escalated"]),
                           ("benign asked the screening questions", figures.get("benign_screened", []))):
            lines += [f"| {what} | {r['expect']} | {r['got']} | {r['sign'] or ''} | {r['kind'] or ''} | "
                      f"{safety.shown(name, r, quoted=False)} |" for r in rows]
    return lines


def confusion_png(confusion: Dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    extra = sorted(set(confusion["predicted"]) - set(confusion["labels"]))  # nlu_fallback, ...
    labels = confusion["labels"] + extra
    figure, axes = plt.subplots(figsize=(16, 14))
    shown = ConfusionMatrixDisplay.from_predictions(confusion["truth"], confusion["predicted"], labels=labels,
                                                    ax=axes, xticks_rotation="vertical", colorbar=False)
    for text in shown.text_.ravel():  # zeros only clutter the picture
        if text.get_text() == "0":
            text.set_text("")
    axes.set_title("Held-out intents: true (rows) vs predicted (columns)")
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)


def compare_table(runs: Dict[str, Dict]) -> str:
    def row(name: str, cell: Callable[[Dict], str]) -> str:
        return f"| {name} | " + " | ".join(cell(run) for run in runs.values()) + " |"

    lines = ["| | " + " | ".join(f"`{name}`" for name in runs) + " |", "| --- " * (len(runs) + 1) + "|",
             row("**intent macro-F1 (held-out)**", lambda r: f"**{r['macro_f1']:.3f}**"),
             row("emergency / urgent recall",
                 lambda r: f"{r['red_flags']['emergency_recall']:.1%} / {r['red_flags']['urgent_recall']:.1%}"),
             row("false escalation (look-alikes)", lambda r: f"{r['red_flags']['false_escalation']:.1%}"),
             row("NLU training time (s)", lambda r: str(r["train_s"])),
             row("mean parse time per message (ms)", lambda r: str(r["parse_ms"]))]
    for intent in sorted({i for r in runs.values() for i in r["per_intent"]}):
        def f1(run: Dict, intent: str = intent) -> str:
            return f"{run['per_intent'][intent]['f1']:.2f}" if intent in run["per_intent"] else "-"
        lines.append(row(intent, f1))
    return "\n".join(lines) + "\n"
