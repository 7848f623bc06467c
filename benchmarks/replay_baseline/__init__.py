"""The baseline of ``bench_replay.py``: the example suite replayed by plain vcrpy."""
