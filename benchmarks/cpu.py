"""What the benchmarks share: the least CPU time of a step."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable


def least_cpu(repeat: int, run: Callable[[], object]) -> float:
    """The least CPU time of ``repeat`` runs, with the garbage collector paused (as timeit)."""
    times = []
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            start = time.process_time()
            run()
            times.append(time.process_time() - start)
        finally:
            gc.enable()
    return min(times)
