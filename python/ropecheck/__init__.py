"""ropecheck: RoPE checked against a correctly rounded reference, from Python.

    import ropecheck as rc
    cfg = rc.Config.from_preset("llama-3.1-8b")
    y = rc.reference(x, positions, cfg, dtype="bf16")
    r = rc.grade(my_rope(x, positions), x, positions, cfg, bound="bf16-hf")
    rc.assert_rope_close(my_rope(x, positions), x, positions, cfg, bound="f32")

Every number comes from ropecheck's C++ library (the same code as the `ropecheck` command);
rc.strategies holds Hypothesis strategies, ropecheck.pytest_plugin the pytest plugin."""
from .api import (DEFAULT_THRESHOLDS, Pipeline, assert_rope_close, cos_sin, grade,
                  implementations, pipeline, presets, reference)
from .config import Config
from .report import Band, GradeReport, Site

__all__ = ["Config", "reference", "cos_sin", "pipeline", "Pipeline", "grade",
           "assert_rope_close", "GradeReport", "Band", "Site", "presets", "implementations",
           "DEFAULT_THRESHOLDS", "strategies"]


def __getattr__(name):
    # Hypothesis is needed only by those who use the strategies.
    if name == "strategies":
        import importlib
        return importlib.import_module(".strategies", __name__)
    raise AttributeError(f"module 'ropecheck' has no attribute {name!r}")
