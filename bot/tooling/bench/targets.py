"""Issue 17's targets: each figure of a report beside its target, met or missed (never a failure).

Everything here is pure: a report (the dict written to reports/bench.json) in, rows out.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from bot.tooling.bench.stats import known, ratio

P50_RATIO_MAX = 0.2  # project / reference, one client
LONG_SESSION_MAX = 1.10  # turn 50 / turn 1 of one session: within 10 %
THROUGHPUT_MIN = 1.5  # 10 clients, against the stored baseline
RSS_RATIO_MAX = 0.5  # peak RSS of the Rasa server, project / reference
RELOAD_MAX_S = 20.0  # a content edit live in the running bot


@dataclass(frozen=True)
class Row:
    figure: str
    measured: str
    target: str = ""  # empty: reported, no target
    met: Optional[bool] = None  # None: no target, or not measured

    @property
    def verdict(self) -> str:
        if not self.target:
            return ""
        return "not measured" if self.met is None else "met" if self.met else "missed"


def at_most(value: Optional[float], limit: float) -> Optional[bool]:
    return value <= limit if value is not None and known(value) else None


def at_least(value: Optional[float], limit: float) -> Optional[bool]:
    return value >= limit if value is not None and known(value) else None


def under(value: Optional[float], limit: float) -> bool:
    """Strictly below `limit`; a figure that never came (the edit never went live) is not."""
    return value is not None and known(value) and value < limit


def show(value: Optional[float], unit: str = "") -> str:
    return f"{value:g}{unit}" if value is not None and known(value) else "n/a"


def throughput_ratio(project: Optional[float], reference: Optional[float],
                     baseline: Optional[Dict[str, Any]]) -> Tuple[Optional[float], str]:
    """Throughput against the baseline, and how it was compared. When the reference bot ran both
    today and in the baseline's run, each run's project figure is divided by its reference figure
    first: the machine's speed that day cancels out. Otherwise msg/s against msg/s."""
    if not baseline:
        return None, "no baseline"
    then, then_reference = baseline.get("project_msg_per_s"), baseline.get("reference_msg_per_s")
    if reference and then_reference:
        return ratio(ratio(project, reference, 4), ratio(then, then_reference, 4)), "relative to the reference"
    return ratio(project, then), "msg/s against msg/s"


def rows(report: Dict[str, Any]) -> List[Row]:
    project, reference, ratios = report["project"], report.get("reference") or {}, report["ratios"]
    single, ref_single = project["single"], reference.get("single") or {}
    long, sustained = project["long_session"], project["throughput"]
    baseline = report.get("baseline") or {}
    reload = project.get("reload") or {}
    train = project.get("train_s")
    return [
        Row("p50 per turn, 1 client: project / reference",
            f"{show(ratios['p50'])} ({show(single['p50_ms'])} / {show(ref_single.get('p50_ms'))} ms)",
            f"<= {P50_RATIO_MAX}", at_most(ratios["p50"], P50_RATIO_MAX)),
        Row("p95 per turn, 1 client: project / reference",
            f"{show(ratios['p95'])} ({show(single['p95_ms'])} / {show(ref_single.get('p95_ms'))} ms)"),
        Row(f"p50 at turn {long['turns']} / turn 1 of one session",
            f"{show(long['last_over_first'])} ({show(long['last_turn_ms'])} / {show(long['first_turn_ms'])} ms, "
            f"{show(long['growth_ms_per_turn'])} ms more per earlier turn)",
            f"<= {LONG_SESSION_MAX}", at_most(long["last_over_first"], LONG_SESSION_MAX)),
        Row("Throughput, 10 clients (project; reference)",
            f"{show(sustained['msg_per_s'])} msg/s, p95 {show(sustained['p95_ms'])} ms, "
            f"{sustained['errors']} errors; {show((reference.get('throughput') or {}).get('msg_per_s'))} msg/s"),
        Row("Throughput, 10 clients: project / baseline",
            f"{show(ratios['throughput_vs_baseline'])} ({ratios['throughput_compared']}; baseline "
            f"{show(baseline.get('project_msg_per_s'))} msg/s, {baseline.get('date', 'none')})",
            f">= {THROUGHPUT_MIN}", at_least(ratios["throughput_vs_baseline"], THROUGHPUT_MIN)),
        Row("Peak RSS, Rasa server: project / reference",
            f"{show(ratios['peak_rss'])} ({show(project['peak_mb'])} / {show(reference.get('peak_mb'))} MB)",
            f"<= {RSS_RATIO_MAX}", at_most(ratios["peak_rss"], RSS_RATIO_MAX)),
        Row("Peak RSS, action server (project)", f"{show(project['action_peak_mb'])} MB"),
        Row("Start-up of the Rasa server: project / reference",
            f"{show(ratios['startup'])} ({show(project['startup_s'])} / {show(reference.get('startup_s'))} s; "
            f"action server {show(project['action_startup_s'])} s)"),
        Row("Training from an empty cache (project; reference)",
            f"{'skipped' if 'train_s' not in project else show(train, ' s')}; "
            f"{show(reference.get('train_s'), ' s')}"),
        Row("Content edit live in the running bot (`make reload`)",
            "skipped" if "reload" not in project else f"{show(reload.get('live_s'), ' s')}",
            f"< {RELOAD_MAX_S:g} s", under(reload.get("live_s"), RELOAD_MAX_S) if reload else None),
        Row("Errors (failed turns, servers, training, reload)", str(report["errors"]), "0", report["errors"] == 0),
    ]


def table(report: Dict[str, Any]) -> str:
    lines = ["| Figure | Measured | Target | |", "|---|---|---|---|"]
    return "\n".join(lines + [f"| {r.figure} | {r.measured} | {r.target} | {r.verdict} |" for r in rows(report)])
