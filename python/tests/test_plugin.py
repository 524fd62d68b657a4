"""The pytest plugin: the example a user copies (examples/pytest/) passes, the same kernel with
a bug fails with a readable report, the marker chooses the matrix and --rope-shard splits it."""
import os
import subprocess
import sys

from conftest import SOURCE_DIR

EXAMPLE = SOURCE_DIR / "examples" / "pytest" / "test_my_rope.py"


def run_pytest(tmp_path, *args):
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "ropecheck.pytest_plugin",
                             "-p", "no:cacheprovider", *map(str, args)],
                            cwd=tmp_path, capture_output=True, text=True, check=False,
                            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    return result.returncode, result.stdout + result.stderr


def collected(tmp_path, *args):
    code, out = run_pytest(tmp_path, "--collect-only", "-q", EXAMPLE, *args)
    assert code == 0, out
    return {line.split("::")[-1] for line in out.splitlines() if "::" in line}


def test_the_example_passes(tmp_path):
    code, out = run_pytest(tmp_path, "-q", EXAMPLE)
    assert code == 0, out
    assert "12 passed" in out  # 3 presets x 2 dtypes x 2 position sets


def test_a_bug_fails_with_the_report_the_input_and_a_replay_line(tmp_path):
    text = EXAMPLE.read_text()
    correct = "freqs.sin()"
    assert text.count(correct) == 1
    buggy = tmp_path / "test_buggy_rope.py"
    buggy.write_text(text.replace(correct, "(-freqs.sin())"))  # the rotation's direction flipped
    code, out = run_pytest(tmp_path, "-q", buggy)
    assert code == 1, out
    assert "12 failed" in out
    assert "rope case llama-2-7b-f32-edges" in out
    assert "FAIL:" in out and "x = (0x" in out
    assert "replay: echo '" in out and "| ropecheck rotate" in out
    assert "rerun: pytest 'test_buggy_rope.py::test_my_rope[llama-2-7b-f32-edges]'" in out


def test_marker_matrix_and_shards(tmp_path):
    everything = collected(tmp_path)
    assert "test_my_rope[gpt-j-6b-bf16-log]" in everything and len(everything) == 12
    shards = [collected(tmp_path, "--rope-shard", f"{k}/3") for k in range(3)]
    assert set().union(*shards) == everything
    assert sum(map(len, shards)) == len(everything) and all(shards)


def test_a_malformed_shard_is_a_usage_error(tmp_path):
    code, out = run_pytest(tmp_path, "--collect-only", "-q", EXAMPLE, "--rope-shard", "3/3")
    assert code == 4 and "--rope-shard" in out, out
