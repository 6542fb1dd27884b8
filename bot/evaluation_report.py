"""The files `make evaluate` writes: report.json, report.md, confusion_matrix.png, comparisons."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

from bot.servers import rasa_env
from bot.settings import PROJECT_ROOT, load


def write_report(result: Dict, baseline: Optional[Dict], problems: List[str], out: Path) -> None:
    public = {k: v for k, v in result.items() if k != "confusion"}
    (out / "report.json").write_text(json.dumps({**public, "problems": problems}, indent=2) + "\n")
    (out / "report.md").write_text(markdown(result, baseline, problems))
    confusion_png(result["confusion"], out / "confusion_matrix.png")


def markdown(result: Dict, baseline: Optional[Dict], problems: List[str]) -> str:
    old = (baseline or {}).get("per_intent_f1", {})
    flags = result["red_flags"]
    lines = ["# NLU evaluation", "", f"**{'FAILED' if problems else 'PASSED'}**", ""]
    lines += [f"- {p}" for p in problems]
    lines += ["", "| metric | now | baseline |", "| --- | --- | --- |",
              f"| intent macro-F1 (held-out) | {result['macro_f1']:.3f} | {(baseline or {}).get('macro_f1', '-')} |",
              f"| emergency recall | {flags['emergency_recall']:.1%} | {(baseline or {}).get('emergency_recall', '-')} |",
              f"| urgent recall | {flags['urgent_recall']:.1%} | {(baseline or {}).get('urgent_recall', '-')} |",
              f"| false escalation (look-alikes) | {flags['false_escalation']:.1%} | "
              f"{(baseline or {}).get('false_escalation', '-')} |"]
    if "cross_validation_macro_f1" in result:
        lines.append(f"| cross-validated macro-F1 (data/nlu) | {result['cross_validation_macro_f1']:.3f} | - |")
    lines += ["", "## Per intent", "", "| intent | precision | recall | F1 | change | support |",
              "| --- | --- | --- | --- | --- | --- |"]
    for intent, m in result["per_intent"].items():
        change = f"{m['f1'] - old[intent]:+.3f}" if intent in old else "new"
        lines.append(f"| {intent} | {m['precision']:.2f} | {m['recall']:.2f} | {m['f1']:.2f} | {change} | {m['support']} |")
    lines += ["", "## Misclassified held-out examples", "", "| expected | predicted | confidence | text |",
              "| --- | --- | --- | --- |"]
    lines += [f"| {m['expected']} | {m['predicted']} | {m['confidence']} | {m['text']} |" for m in result["misclassified"]]
    lines += ["", "## Red-flag phrasings not escalated", ""] + [f"- {m['tier']}: {m['text']}" for m in flags["missed"]]
    lines += ["", "## Look-alikes escalated", ""] + [f"- {t}" for t in flags["escalated"]]
    return "\n".join(lines) + "\n"


def confusion_png(confusion: Dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    labels = confusion["labels"] + ["nlu_fallback"]
    figure, axes = plt.subplots(figsize=(16, 14))
    ConfusionMatrixDisplay.from_predictions(confusion["truth"], confusion["predicted"], labels=labels,
                                            ax=axes, xticks_rotation="vertical", colorbar=False)
    axes.set_title("Held-out intents: true (rows) vs predicted (columns)")
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)


def compare_table(runs: Dict[str, Dict]) -> str:
    names = list(runs)
    lines = ["| | " + " | ".join(names) + " |", "| --- " * (len(names) + 1) + "|"]
    lines.append("| **intent macro-F1** | " + " | ".join(f"**{r['macro_f1']:.3f}**" for r in runs.values()) + " |")
    lines.append("| NLU training time (s) | " + " | ".join(str(r["train_s"]) for r in runs.values()) + " |")
    lines.append("| parse time per message (ms) | " + " | ".join(str(r["parse_ms"]) for r in runs.values()) + " |")
    for intent in runs[names[0]]["per_intent"]:
        lines.append(f"| {intent} | " + " | ".join(f"{r['per_intent'].get(intent, {}).get('f1', 0):.2f}"
                                                   for r in runs.values()) + " |")
    return "\n".join(lines) + "\n"


def cross_validate(config: Path, folds: int, out: Path) -> float:
    subprocess.run([sys.executable, "-m", "bot", "rasa", "test", "nlu", "--nlu", "data/nlu", "--config",
                    str(config), "--cross-validation", "--folds", str(folds), "--out", str(out)],
                   cwd=PROJECT_ROOT, env=rasa_env(load()), check=True, capture_output=True)
    report = json.loads((out / "intent_report.json").read_text())
    return round(report["macro avg"]["f1-score"], 4)
