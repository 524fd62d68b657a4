"""Bad input surfaces as a Python exception naming the parameter at fault, never a crash."""
import numpy as np
import pytest

import ropecheck as rc

CFG = rc.Config.from_preset("llama-3.1-8b")
X = np.zeros((2, 128), dtype=np.float32)


@pytest.mark.parametrize("keys,message", [
    ({"head_dim": 127}, "head_dim.*even"),
    ({"head_dim": 64, "rope_theta": 0.5}, "rope_theta"),
    ({"head_dim": 64, "rope_scaling": {"rope_type": "yarnn", "factor": 2}}, "rope_type"),
    ({"head_dim": 64, "layout": "diagonal"}, "layout"),
])
def test_bad_configs_raise_value_errors_naming_the_key(keys, message):
    with pytest.raises(ValueError, match=message):
        rc.Config(keys)


def test_bad_names_and_files():
    with pytest.raises(ValueError, match="llama-3.1-8b"):  # the accepted names are listed
        rc.Config.from_preset("llama-9")
    with pytest.raises(ValueError, match="cannot be read"):
        rc.Config.from_hf_config("/nonexistent/config.json")
    with pytest.raises(TypeError):
        rc.Config(["head_dim", 64])
    with pytest.raises(ValueError, match="elementwise:f32"):
        rc.pipeline("elementwise:f33")


def test_bad_dtypes():
    with pytest.raises(ValueError, match="dtype.*accepted: f64, f32, bf16, f16"):
        rc.reference(X, [0, 1], CFG, dtype="f8")
    with pytest.raises(TypeError, match="int32"):
        rc.reference(np.zeros((2, 128), dtype=np.int32), [0, 1], CFG)
    with pytest.raises(TypeError, match="positions must be integers"):
        rc.reference(X, [0.0, 1.5], CFG)
    with pytest.raises(ValueError, match="not exactly representable in bf16"):
        rc.reference(np.full((2, 128), 0.1, dtype=np.float32), [0, 1], CFG, dtype="bf16")


def test_wrong_shapes_and_positions():
    with pytest.raises(ValueError, match="head_dim is 128"):
        rc.reference(np.zeros((2, 64), dtype=np.float32), [0, 1], CFG)
    with pytest.raises(ValueError, match="3 positions"):
        rc.reference(X, [0, 1, 2], CFG)
    with pytest.raises(ValueError, match="token_axis"):
        rc.reference(np.zeros((2, 2, 128), dtype=np.float32), [0, 1], CFG)
    with pytest.raises(ValueError, match="2\\^53"):
        rc.reference(X, [0, 2**53], CFG)
    with pytest.raises(ValueError, match="shape"):
        rc.grade(X[:1], X, [0, 1], CFG)


def test_bad_bounds():
    y = rc.reference(X, [0, 1], CFG)
    with pytest.raises(ValueError, match="bound.*unknown bound \"f31\".*accepted"):
        rc.grade(y, X, [0, 1], CFG, bound="f31")
    with pytest.raises(ValueError, match="bound.*stores bf16"):
        rc.grade(y, X, [0, 1], CFG, bound="bf16-hf")
    with pytest.raises(ValueError, match="not both"):
        rc.grade(y, X, [0, 1], CFG, bound="f32", max_ulp=1)
    with pytest.raises(ValueError, match="max_ulp"):
        rc.grade(y, X, [0, 1], CFG, max_ulp=-1)
    assert rc.grade(y, X, [0, 1], CFG).passed  # the reference itself is exact
