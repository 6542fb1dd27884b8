"""Peak memory of the servers and the CPU other processes took meanwhile; the machine's description."""
from __future__ import annotations

import os
import platform
import subprocess
import threading
import time
from importlib.metadata import version
from pathlib import Path
from typing import Dict, List

import psutil


class Monitor(threading.Thread):
    """Every 100 ms, the resident memory of each server (with its children: SANIC_WORKERS);
    at the end, the share of the machine's CPU that other processes (training, tests) took."""

    def __init__(self, processes: Dict[str, subprocess.Popen]):
        super().__init__(daemon=True)
        self.servers = {name: psutil.Process(p.pid) for name, p in processes.items()}
        self.peak_mb, self.largest_mb = dict.fromkeys(self.servers, 0.0), dict.fromkeys(self.servers, 0.0)
        self.count, self.stopped = dict.fromkeys(self.servers, 1), threading.Event()
        self.start_cpu, self.start_wall = self.cpu(), time.perf_counter()

    def cpu(self) -> float:
        """CPU seconds of the whole machine minus those of this process and the servers."""
        total = psutil.cpu_times()
        ours: List[psutil.Process] = [psutil.Process()]
        for process in self.servers.values():
            try:
                ours += [process, *process.children(True)]
            except psutil.Error:  # stopped already: its CPU time is no longer counted anywhere
                continue
        seconds = 0.0
        for process in ours:
            try:
                seconds += sum(process.cpu_times()[:2])
            except psutil.Error:
                continue
        return sum(total) - total.idle - getattr(total, "iowait", 0) - seconds

    def run(self) -> None:
        while not self.stopped.wait(0.1):
            for name, process in self.servers.items():
                try:
                    rss = [p.memory_info().rss / 2**20 for p in [process, *process.children(True)]]
                except psutil.Error:  # a server (or a child) is gone: the caller reports it
                    continue
                self.peak_mb[name] = max(self.peak_mb[name], sum(rss))
                self.largest_mb[name], self.count[name] = max(self.largest_mb[name], *rss), len(rss)

    def stop(self) -> Dict[str, Dict[str, float]]:
        """Stops sampling: each server's peak RSS (MB, its process tree), its process count and
        its largest process."""
        self.stopped.set()
        self.join()
        return {name: {"peak_mb": round(self.peak_mb[name]), "processes": self.count[name],
                       "largest_process_mb": round(self.largest_mb[name])} for name in self.servers}

    def other_cpu_pct(self) -> float:
        capacity = (time.perf_counter() - self.start_wall) * (os.cpu_count() or 1)
        return round(max(0.0, self.cpu() - self.start_cpu) / capacity * 100)


def machine() -> Dict[str, str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    return {"cpu": cpu, "cores": str(os.cpu_count()),
            "ram_gb": f"{psutil.virtual_memory().total / 2**30:.1f}",
            "os": platform.platform(terse=True), "python": platform.python_version(),
            "rasa": version("rasa")}
