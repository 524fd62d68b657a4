"""The ONNX Runtime RotaryEmbedding harness, step by step: `ropecheck vectors --cos-sin` writes a
golden set and its correctly rounded cos/sin cache, make_graph.py a one-node graph, ort_rope.js
runs it with onnxruntime-node, and `ropecheck grade` grades the outputs (spec/vectors.md).
Used by ort_check_test.py and the real-kernel table (ci/real_kernels.sh)."""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"  # Debian's, which has python3-onnx


def run(command, **kwargs):
    """Runs `command`; returns the CompletedProcess (text output captured)."""
    return subprocess.run(command, capture_output=True, text=True, timeout=600, **kwargs)


def checked(command, what):
    proc = run(command)
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {proc.returncode}):\n{' '.join(command)}\n"
                           f"{proc.stdout}{proc.stderr}")
    return proc


def make_set(ropecheck, workdir, name, config, dtype, positions, heads=2, seed=0, preset=None,
             layout=None):
    """A vector set NAME.safetensors and its cos/sin cache NAME.cos_sin.safetensors, from a
    config (a dict of Hugging Face keys) or a preset, with an optional layout override."""
    vectors = os.path.join(workdir, f"{name}.safetensors")
    cos_sin = os.path.join(workdir, f"{name}.cos_sin.safetensors")
    source = ["--preset", preset] if preset else ["--config", json.dumps(config)]
    if layout:
        source += ["--layout", layout]
    checked([ropecheck, "vectors", *source, "--dtype", dtype, "--positions", positions,
             "--heads", str(heads), "--seed", str(seed), "--out", vectors, "--cos-sin", cos_sin],
            "ropecheck vectors")
    return vectors, cos_sin


def make_graph(workdir, op, dtype, layout, heads, rotary_dim, rank, position_ids=True):
    """One RotaryEmbedding graph; returns its path."""
    name = f"{op}-{dtype}-{layout}-h{heads}-r{rotary_dim}-rank{rank}-{'ids' if position_ids else 'rows'}"
    model = os.path.join(workdir, name + ".onnx")
    command = [PYTHON, os.path.join(HERE, "make_graph.py"), "--op", op, "--dtype", dtype,
               "--layout", layout, "--num-heads", str(heads), "--rotary-dim", str(rotary_dim),
               "--rank", str(rank), "--out", model]
    if not position_ids:
        command.append("--no-position-ids")
    checked(command, "make_graph.py")
    return model


def run_ort(ort_dir, model, vectors, out, rank, cos_sin=None, plant=None):
    """ONNX Runtime's outputs for `vectors` into `out` (.npy); cos_sin None: export-built tables."""
    command = ["node", os.path.join(HERE, "ort_rope.js"), "--ort", ort_dir, "--model", model,
               "--vectors", vectors, "--rank", str(rank), "--out", out]
    command += ["--cos-sin", cos_sin] if cos_sin else ["--export-cache"]
    if plant:
        command += ["--plant", plant]
    checked(command, "ort_rope.js")
    return out


def grade(ropecheck, vectors, outputs, bound, out_dir):
    """`ropecheck grade --bound BOUND --out OUT_DIR`: (exit status, stdout, results.json)."""
    proc = run([ropecheck, "grade", vectors, outputs, "--bound", bound, "--out", out_dir])
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"ropecheck grade exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    with open(os.path.join(out_dir, "results.json")) as f:
        return proc.returncode, proc.stdout, json.load(f)


def ort_dir_or_exit(ort_dir):
    """Fails loudly (exit 1) when onnxruntime-node is not installed in `ort_dir`."""
    library = os.path.join(ort_dir, "onnxruntime-node", "bin", "napi-v6", "linux", "x64",
                           "libonnxruntime.so.1")
    if not os.path.isfile(library):
        sys.exit(f"FAIL: no {library}.\nThe ONNX Runtime harness needs onnxruntime-node: run "
                 "`bash ci/onnxruntime.sh` (npm install of the pinned version) and configure "
                 "with -DROPECHECK_ORT_DIR=<the directory it prints>.")
    return ort_dir
