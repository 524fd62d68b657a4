#!/usr/bin/env python3
"""Malformed and hostile inputs for every command, run against the real binary.

Usage: hostile_inputs.py PATH_TO_ROPECHECK GROUP
GROUP is one of: rotate, audit, vectors, grade, merge, outputs, help.

Every case states the exact exit code (README "Exit codes": 0 pass, 1 a check failed, 2 bad
usage or input, 3 internal error) and, for exit 2, words that the one-line message must hold to
name the input at fault. Large inputs (deep nesting, endless streams) are made here, not stored.
All cases of a group run; the group fails listing every case that did not behave.
"""
import json
import os
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
INPUTS = os.path.join(HERE, "inputs")
BINARY = ""
failures = []


def run(args, stdin=None, env=None, timeout=60, cwd=None):
    """Runs ropecheck; stdin is bytes, a path to open, or None (empty)."""
    if isinstance(stdin, str):
        with open(stdin, "rb") as handle:
            done = subprocess.run([BINARY, *args], stdin=handle, capture_output=True,
                                  timeout=timeout, env=env, cwd=cwd)
    else:
        done = subprocess.run([BINARY, *args], input=stdin or b"", capture_output=True,
                              timeout=timeout, env=env, cwd=cwd)
    return done.returncode, done.stdout.decode("utf-8", "replace"), \
        done.stderr.decode("utf-8", "replace")


def case(name, args, code, *words, stdin=None, env=None, max_seconds=30, cwd=None):
    """Runs one case and records a failure unless it exits with `code` and names `words`."""
    start = time.monotonic()
    try:
        got, out, err = run(args, stdin, env, timeout=max_seconds + 30, cwd=cwd)
    except subprocess.TimeoutExpired:
        failures.append(f"{name}: still running after {max_seconds + 30} s")
        return None
    seconds = time.monotonic() - start
    problems = []
    if got != code:
        problems.append(f"exit code {got}, wanted {code}")
    if seconds > max_seconds:
        problems.append(f"took {seconds:.1f} s, over {max_seconds} s")
    if code == 2:
        # One error line, the last; audit's size estimate may come before it.
        lines = err.strip().splitlines()
        errors = [line for line in lines if line.startswith("ropecheck: error: ")]
        others = [line for line in lines[:-1] if not line.startswith("ropecheck audit: ")]
        if len(errors) != 1 or lines[-1] != errors[0] or others:
            problems.append("stderr is not one 'ropecheck: error:' line")
        for word in words:
            if word not in err:
                problems.append(f"message does not name {word!r}")
    for crash in ("terminate called", "Segmentation", "internal error", "Traceback"):
        if crash in err:
            problems.append(f"crash text {crash!r}")
    if problems:
        failures.append(f"{name}: {'; '.join(problems)}\n    stderr: {err.strip()[:400]}")
    return got, out, err


def foreign_directory(tmp):
    """A directory holding a file that belongs to the user, not to any ropecheck output set."""
    path = os.path.join(tmp, "user-files")
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "notes.txt"), "w") as handle:
        handle.write("mine\n")
    return path


def nested(depth):
    return ("[" * depth + "]" * depth).encode()


def request(**overrides):
    base = {"config": {"head_dim": 8}, "impl": "elementwise:f64", "positions": [0],
            "x": [[1, 0, 0, 0, 0, 0, 0, 0]]}
    base.update(overrides)
    return json.dumps(base).encode()


def group_rotate(tmp):
    i = lambda name: os.path.join(INPUTS, name)
    case("100000 levels of nesting", ["rotate"], 2, "request", "nests deeper",
         stdin=nested(100000))
    deep_config = b'{"config": {"head_dim": 8, "x": ' + nested(100000) + b'}}'
    case("nesting inside the config", ["rotate"], 2, "nests deeper", stdin=deep_config)
    case("misspelled key seqlen", ["rotate", "--input", i("rotate_unknown_key.json")], 2,
         "seqlen", "unknown request key")
    case("impl of the wrong type", ["rotate", "--input", i("rotate_impl_not_string.json")], 2,
         "impl", "must be a string")
    case("positions of the wrong type", ["rotate", "--input", i("rotate_positions_not_list.json")],
         2, "positions")
    case("number 1e400", ["rotate", "--input", i("rotate_number_overflow.json")], 2,
         "rotate_number_overflow.json", "not valid JSON")
    case("head_dim 2^32+4", ["rotate", "--input", i("rotate_head_dim_wraps.json")], 2,
         "head_dim", "4294967300")
    case("head_dim above 2^16", ["rotate", "--input", i("rotate_head_dim_over_cap.json")], 2,
         "head_dim", "65538")
    case("seq_len 2^64-1", ["rotate", "--input", i("rotate_seq_len_huge.json")], 2, "seq_len")
    case("seq_len 2.5", ["rotate", "--input", i("rotate_seq_len_fraction.json")], 2, "seq_len")
    case("seq_len -1", ["rotate"], 2, "seq_len", stdin=request(seq_len=-1))
    case("non-UTF-8 text", ["rotate", "--input", i("rotate_not_utf8.json")], 2, "not valid JSON")
    case("top level not an object", ["rotate", "--input", i("rotate_not_object.json")], 2,
         "request", "object")
    case("empty request", ["rotate", "--input", i("empty.json")], 2, "empty.json")
    case("directory as input", ["rotate", "--input", INPUTS], 2, "--input", "directory")
    case("missing input file", ["rotate", "--input", i("no_such_file.json")], 2,
         "no_such_file.json")
    case("/dev/zero as --input", ["rotate", "--input", "/dev/zero"], 2, "/dev/zero", "limit")
    case("/dev/zero on stdin", ["rotate"], 2, "standard input", "limit", stdin="/dev/zero")
    case("a correct request still works", ["rotate"], 0, stdin=request())


def group_audit(tmp):
    small = ["audit", "--impl", "elementwise:f64", "--positions", "0..3", "--no-progress"]
    deep = os.path.join(tmp, "deep.json")
    with open(deep, "wb") as handle:
        handle.write(b'{"head_dim": 8, "a": ' + nested(100000) + b'}')
    case("empty --positions", ["audit", "--positions", ""], 2, "--positions", "empty")
    case("2^29 positions refused before expanding",
         ["audit", "--positions", "0..2^28-1,0..2^28-1"], 2, "--positions", "2^28",
         max_seconds=5)
    case("2^28 positions refused by --max-work", ["audit", "--positions", "0..2^28-1"], 2,
         "--max-work", max_seconds=10)
    case("--require names no audited implementation",
         [*small, "--require", "elementwise:f23=1e-9"], 2, "--require", "elementwise:f23")
    case("--require with an infinite bound", [*small, "--require", "1e400"], 2, "--require")
    case("--seed -1", [*small, "--seed", "-1"], 2, "--seed", "-1")
    case("--seed 2^64", [*small, "--seed", "18446744073709551616"], 2, "--seed")
    case("--threads -5", [*small, "--threads", "-5"], 2, "--threads", "-5")
    case("--threads 0", [*small, "--threads", "0"], 2, "--threads")
    case("--heads 0", [*small, "--heads", "0"], 2, "--heads")
    case("--shard 1/2x", [*small, "--shard", "1/2x"], 2, "--shard", "2x")
    case("--shard 2/2", [*small, "--shard", "2/2"], 2, "--shard")
    case("--seq-len beyond int64", [*small, "--seq-len", "99999999999999999999"], 2,
         "--seq-len")
    case("--max-work -1", [*small, "--max-work", "-1"], 2, "--max-work")
    case("--hf-config nested 100000 deep", ["audit", "--hf-config", deep], 2, "--hf-config",
         "deep.json", "nests deeper")
    case("--hf-config a directory", ["audit", "--hf-config", INPUTS], 2, "--hf-config",
         "directory")
    case("--hf-config /dev/zero", ["audit", "--hf-config", "/dev/zero"], 2, "--hf-config",
         "limit")
    case("--hf-config with head_dim 2^32+4",
         ["audit", "--hf-config", os.path.join(INPUTS, "config_head_dim_wraps.json")], 2,
         "head_dim")
    case("--config 1e400", ["audit", "--config", '{"head_dim": 8, "rope_theta": 1e400}'], 2,
         "--config", "not valid JSON")
    case("a small audit still passes", small, 0)


def safetensors(path, tensors, metadata):
    """Writes a .safetensors file: tensors is {name: (dtype, shape, bytes)}."""
    header = {"__metadata__": metadata}
    data = b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header).encode()
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(text)) + text + data)


def vector_metadata(config_keys, **overrides):
    metadata = {"ropecheck_vectors": "1", "config": json.dumps(config_keys),
                "layer_type": "full_attention", "dtype": "f64", "seq_len": "1"}
    metadata.update(overrides)
    return metadata


def group_vectors(tmp):
    base = ["vectors", "--preset", "llama-3.1-8b", "--dtype", "f32", "--positions", "0..3"]
    out = os.path.join(tmp, "v.safetensors")
    case("--heads -1", [*base, "--heads", "-1", "--out", out], 2, "--heads")
    case("--seed -1", [*base, "--seed", "-1", "--out", out], 2, "--seed")
    case("--seq-len 2^64", [*base, "--seq-len", "18446744073709551616", "--out", out], 2,
         "--seq-len")
    case("empty --positions", ["vectors", "--preset", "llama-3.1-8b", "--dtype", "f32",
                               "--positions", "", "--out", out], 2, "--positions")
    case("--config nested 60000 deep",
         # 60000 levels: one command-line argument is limited to 128 KiB.
         ["vectors", "--config", nested(60000).decode(), "--dtype", "f32", "--positions", "0",
          "--out", out], 2, "--config", "nests deeper")
    fifo = os.path.join(tmp, "special.safetensors")
    os.mkfifo(fifo)
    case("--out a special file", [*base, "--out", fifo], 2, "--out", "not a regular file")
    link = os.path.join(tmp, "link.safetensors")
    os.symlink(os.path.join(tmp, "elsewhere.safetensors"), link)
    case("--out a symlink", [*base, "--out", link], 2, "--out", "symbolic link")
    case("--out a directory holding other files", [*base, "--out", foreign_directory(tmp)], 2,
         "--out", "notes.txt", "not one of ropecheck's output files")
    case("a small set is still written", [*base, "--out", out], 0)


def group_grade(tmp):
    config = {"head_dim": 8, "rope_theta": 10000}
    good_dir = os.path.join(tmp, "good")
    case("writing a valid set", ["vectors", "--config", json.dumps(config), "--dtype", "f64",
                                 "--positions", "0..3", "--out", good_dir], 0)
    expected = os.path.join(good_dir, "expected.npy")
    case("exact outputs pass", ["grade", good_dir, expected], 0)
    case("--max-ulp -1", ["grade", good_dir, expected, "--max-ulp", "-1"], 2, "--max-ulp")
    case("--max-ulp 2^32+1", ["grade", good_dir, expected, "--max-ulp", "4294967297"], 2,
         "--max-ulp")
    # A FIFO stands for any special file (a device such as /dev/null): a regression that replaced
    # it must not damage the machine the tests run on.
    fifo = os.path.join(tmp, "special")
    os.mkfifo(fifo)
    case("--json a special file", ["grade", good_dir, expected, "--json", fifo], 2, "--json",
         "special", "not a regular file")
    if not stat.S_ISFIFO(os.lstat(fifo).st_mode):
        failures.append("--json a special file: it was replaced")
    link = os.path.join(tmp, "report-link.json")
    os.symlink(os.path.join(tmp, "target.json"), link)
    case("--json a symlink", ["grade", good_dir, expected, "--json", link], 2, "--json",
         "symbolic link")
    case("--json a directory", ["grade", good_dir, expected, "--json", tmp], 2, "--json",
         "directory")
    odd = os.path.join(tmp.encode(), b"report-\xff.json")
    got = case("--json path that is not UTF-8", ["grade", good_dir, expected, "--json", odd], 0)
    if got and not os.path.exists(odd):
        failures.append("--json path that is not UTF-8: the report was not written")

    f64 = lambda count: struct.pack(f"<{count}d", *([0.5] * count))
    i64 = lambda values: struct.pack(f"<{len(values)}q", *values)
    zero = os.path.join(tmp, "zero.safetensors")
    safetensors(zero, {"x": ("F64", [0, 1, 8], b""), "positions": ("I64", [0], b""),
                       "expected": ("F64", [0, 1, 8], b"")}, vector_metadata(config))
    case("a set of 0 tokens", ["grade", zero, zero], 2, "zero.safetensors", "0 tokens")

    wide = os.path.join(tmp, "wide.safetensors")
    safetensors(wide, {"x": ("F64", [1, 1, 128], f64(128)), "positions": ("I64", [1], i64([0])),
                       "expected": ("F64", [1, 1, 128], f64(128))},
                vector_metadata({"head_dim": 2 ** 32 + 128}))
    case("metadata head_dim 2^32+128", ["grade", wide, wide], 2, "wide.safetensors", "head_dim")

    deep = os.path.join(tmp, "deep.safetensors")
    safetensors(deep, {"x": ("F64", [1, 1, 8], f64(8)), "positions": ("I64", [1], i64([0])),
                       "expected": ("F64", [1, 1, 8], f64(8))},
                vector_metadata(None, config=nested(100000).decode()))
    case("metadata config nested 100000 deep", ["grade", deep, deep], 2, "deep.safetensors",
         "nests deeper")

    liar = os.path.join(tmp, "liar.safetensors")
    summary = {"head_dim": 16, "rotary_dim": 16, "layout": "half", "rope_type": "default"}
    safetensors(liar, {"x": ("F64", [1, 1, 8], f64(8)), "positions": ("I64", [1], i64([0])),
                       "expected": ("F64", [1, 1, 8], f64(8))},
                vector_metadata(config, rope=json.dumps(summary)))
    case("metadata rope summary disagrees with its config", ["grade", liar, liar], 2,
         "liar.safetensors", "rope.head_dim")

    case("vectors /dev/zero", ["grade", "/dev/zero", expected], 2, "/dev/zero")
    case("vectors an empty directory", ["grade", tmp + "/empty-dir-missing", expected], 2,
         "empty-dir-missing")
    truncated = os.path.join(tmp, "truncated.npy")
    with open(expected, "rb") as handle:
        data = handle.read()
    with open(truncated, "wb") as handle:
        handle.write(data[: len(data) // 2])
    case("truncated outputs", ["grade", good_dir, truncated], 2, "truncated.npy")


def group_merge(tmp):
    i = lambda name: os.path.join(INPUTS, name)
    shards = os.path.join(tmp, "shards")
    case("writing shard 0 of 2",
         ["audit", "--impl", "elementwise:f64", "--positions", "0..3", "--no-progress",
          "--shard", "0/2", "--out", shards], 0)
    case("writing shard 1 of 2 with other options",
         ["audit", "--impl", "elementwise:f64", "--positions", "0..3", "--no-progress",
          "--seed", "7", "--shard", "1/2", "--out", shards], 0)
    case("shards made with different options", ["merge", shards], 2, "shard-1-of-2.json",
         "different audit options")
    case("truncated shard", ["merge", i("shard-0-of-2.truncated.json")], 2,
         "shard-0-of-2.truncated.json", "not valid JSON")
    case("shard whose blocks are not a list", ["merge", i("shard_blocks_not_list.json")], 2,
         "shard_blocks_not_list.json")
    case("not a shard", ["merge", i("shard_not_a_shard.json")], 2, "shard_not_a_shard.json",
         "not a ropecheck audit shard")
    case("directory without shards", ["merge", tmp + "/nothing-here"], 2, "nothing-here")
    deep = os.path.join(tmp, "shard-deep.json")
    with open(deep, "wb") as handle:
        handle.write(nested(100000))
    case("shard nested 100000 deep", ["merge", deep], 2, "shard-deep.json", "nests deeper")
    bad_type = os.path.join(tmp, "shard-bad-type.json")
    with open(os.path.join(shards, "shard-0-of-2.json")) as handle:
        shard = json.load(handle)
    shard["blocks"][0]["index"] = "zero"
    with open(bad_type, "w") as handle:
        json.dump(shard, handle)
    case("shard with a mistyped block index", ["merge", bad_type], 2, "shard-bad-type.json")
    short = os.path.join(tmp, "shard-short-pair.json")
    shard["blocks"][0]["index"] = 0
    shard["blocks"][0]["impls"][0]["bands"][0]["max_score_err"] = []
    with open(short, "w") as handle:
        json.dump(shard, handle)
    case("shard with an empty (value, position) pair", ["merge", short], 2,
         "shard-short-pair.json")
    wrapped = os.path.join(tmp, "shard-wrapped-heads.json")
    shard = json.load(open(os.path.join(shards, "shard-0-of-2.json")))
    shard["options"]["heads"] = 2 ** 32 + 2
    with open(wrapped, "w") as handle:
        json.dump(shard, handle)
    case("shard whose heads would wrap to 2", ["merge", wrapped], 2, "shard-wrapped-heads.json",
         "heads")


def fake_gnuplot(directory, draws):
    """A gnuplot stand-in: writes the two plot files (or fails), as a plain program on PATH."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "gnuplot")
    body = "touch error_vs_position.png error_vs_position.svg\n" if draws else "exit 1\n"
    with open(path, "w") as handle:
        handle.write("#!/bin/sh\n" + body)
    os.chmod(path, stat.S_IRWXU)
    return {**os.environ, "PATH": directory + ":/usr/bin:/bin"}


def group_outputs(tmp):
    small = ["audit", "--impl", "elementwise:f64", "--positions", "0..3", "--no-progress"]
    # The output path reaches no shell and no gnuplot command line.
    hostile = os.path.join(tmp, "out';touch INJECTED;'$(touch INJECTED2)")
    case("--out with shell syntax", [*small, "--out", hostile], 0, max_seconds=60)
    for name in ("INJECTED", "INJECTED2"):
        for where in (tmp, os.getcwd()):
            if os.path.exists(os.path.join(where, name)):
                failures.append(f"--out with shell syntax: {name} was created in {where}")
    if not os.path.isfile(os.path.join(hostile, "error_vs_position.svg")):
        failures.append("--out with shell syntax: the plot was not written")

    no_gnuplot = {**os.environ, "PATH": os.path.join(tmp, "empty-path")}
    out = os.path.join(tmp, "never")
    case("gnuplot missing", [*small, "--out", out], 2, "gnuplot", env=no_gnuplot, max_seconds=5)
    if os.path.exists(out):
        failures.append("gnuplot missing: the output directory was created")

    # An earlier set stays whole when the new one cannot be completed.
    earlier = os.path.join(tmp, "earlier")
    os.makedirs(earlier)
    with open(os.path.join(earlier, "report.txt"), "w") as handle:
        handle.write("earlier set\n")
    case("gnuplot fails", [*small, "--out", earlier], 2, "gnuplot",
         env=fake_gnuplot(os.path.join(tmp, "failing"), draws=False))
    if sorted(os.listdir(earlier)) != ["report.txt"] or \
            open(os.path.join(earlier, "report.txt")).read() != "earlier set\n":
        failures.append("gnuplot fails: the earlier set was changed")
    case("the set replaces an earlier one whole", [*small, "--out", earlier], 0,
         env=fake_gnuplot(os.path.join(tmp, "drawing"), draws=True))
    if sorted(os.listdir(earlier)) != sorted(
            ["report.txt", "results.csv", "results.json", "error_vs_position.dat",
             "error_vs_position.gp", "error_vs_position.png", "error_vs_position.svg"]) or \
            "earlier set" in open(os.path.join(earlier, "report.txt")).read():
        failures.append(f"the set replaces an earlier one whole: {sorted(os.listdir(earlier))}")
    leftovers = [n for n in os.listdir(tmp) if ".tmp-" in n]
    if leftovers:
        failures.append(f"temporaries left behind: {leftovers}")

    a_file = os.path.join(tmp, "a-file")
    open(a_file, "w").close()
    case("--out is a file", [*small, "--out", a_file], 2, "--out", "not a directory",
         max_seconds=5)
    case("--out holds other files", [*small, "--out", foreign_directory(tmp)], 2, "--out",
         "notes.txt", "not one of ropecheck's output files", max_seconds=5)


def group_help(tmp):
    for command in ("presets", "impls", "rotate", "audit", "merge", "vectors", "grade", "check"):
        code, out, err = run([command, "--help"])
        if code != 0 or "Exit codes: 0 pass; 1 a check ran and failed; 2 bad usage" not in out:
            failures.append(f"{command} --help: exit {code}, exit codes not documented")
    code, _, _ = run(["audit", "--no-such-option"])
    if code != 2:
        failures.append(f"unknown option: exit {code}, wanted 2")


def main():
    global BINARY
    BINARY = os.path.abspath(sys.argv[1])
    group = globals()["group_" + sys.argv[2]]
    tmp = tempfile.mkdtemp(prefix="ropecheck-hostile-")
    try:
        group(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print(f"{len(failures)} case(s) misbehaved:\n" + "\n".join(failures))
        sys.exit(1)
    print(f"group {sys.argv[2]}: every case behaved")


if __name__ == "__main__":
    main()
