"""How many cores this process may use: the scrub's reader (threads) and judge (processes) size their work by it."""
from __future__ import annotations

import os
from pathlib import Path

CPU_QUOTA = Path("/sys/fs/cgroup/cpu.max")  # cgroup v2: `<quota> <period>` in microseconds, or `max <period>`


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity where the system keeps one (a container's cpuset,
    `taskset`: fewer than the machine has), else the machine's count; no more than a container's CPU quota
    allows in whole cores (`docker --cpus 1.5`: 1)."""
    try:
        cores = max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # macOS and Windows keep no affinity Python can read
        cores = os.cpu_count() or 1
    try:
        quota, period = CPU_QUOTA.read_text().split()[:2]
        return max(1, min(cores, int(quota) // int(period)))
    except (OSError, ValueError):  # no cgroup v2 file, or `max`: no quota
        return cores
