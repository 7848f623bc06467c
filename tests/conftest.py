"""Hypothesis for the whole suite: no per-example deadline and no "too slow" health check.

Both judge an example by the wall clock, which a busy machine stretches (a property that
passed idle fails under load, and Hypothesis calls it flaky). What a property does is bounded
by its ``max_examples``, never by the clock. A test's own ``@settings`` still wins where it
names these settings itself.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "contracttest", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("contracttest")
