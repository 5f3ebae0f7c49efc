"""Helpers shared by the benches: the footprint sampler (`footprint.py`) and the `targets_v3` rows
every bench writes for `bench/summary.py` (`targets.py`).

A bench script run as `python bench/<x>/run.py` reaches them with the repository root on `sys.path`:

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from bench.common.footprint import Footprint
    from bench.common.targets import percentile, target
"""
