#!/usr/bin/env python3
"""`ropecheck config` and the resolved parameters of `rotate`, one case per ctest test.

Usage: config_command_test.py PATH_TO_ROPECHECK SPEC_CONFIGS_DIR CASE
Each case runs the real binary and checks exit codes, resolved values and their origins.
"""
import glob
import json
import os
import subprocess
import sys


def run(binary, args, stdin=None):
    done = subprocess.run([binary, *args], input=stdin, capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout, done.stderr


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def expect_bad_input(code, err, *words):
    expect(code == 2, f"exit code {code}, wanted 2; stderr: {err}")
    for word in words:
        expect(word in err, f"stderr does not name {word!r}: {err}")


def config_json(binary, *args):
    code, out, err = run(binary, ["config", *args, "--json"])
    expect(code == 0, f"exit {code}: {err}")
    return json.loads(out)


def layer(report, name):
    for entry in report["layer_types"]:
        if entry["layer_type"] == name:
            return entry
    raise AssertionError(f"no layer type {name} in {report}")


# Gemma 3 4B's config.json shape: no rope_theta, no head_dim (2560 / 8 would be 320).
GEMMA3_4B = {"model_type": "gemma3",
             "text_config": {"model_type": "gemma3_text", "hidden_size": 2560,
                             "num_attention_heads": 8, "sliding_window": 1024,
                             "rope_scaling": {"factor": 8.0, "rope_type": "linear"}}}


def case_corpus(binary, configs):
    files = sorted(glob.glob(os.path.join(configs, "*.json")))
    expect(len(files) >= 25, f"only {len(files)} corpus files")
    for path in files:
        report = config_json(binary, "--hf-config", path)
        for entry in report["layer_types"]:
            if entry.get("rotary") is False:
                continue
            for key in ("head_dim", "rotary_dim", "rope_theta", "layout", "rope_type",
                        "attention_factor"):
                expect(key in entry, f"{path}: {entry['layer_type']} lacks {key}")
                expect(entry[key]["origin"], f"{path}: {key} has no origin")


def case_gemma3_defaults(binary, configs):
    report = config_json(binary, "--config", json.dumps(GEMMA3_4B))
    full, local = layer(report, "full_attention"), layer(report, "sliding_attention")
    expect(full["rope_theta"]["value"] == 1e6, full)
    expect(full["rope_theta"]["origin"].startswith("default of Gemma3TextConfig"), full)
    expect(full["head_dim"]["value"] == 256, full)
    expect(full["factor"]["origin"] == "file: text_config.rope_scaling.factor", full)
    expect(local["rope_theta"]["value"] == 10000, local)
    expect(local["rope_type"]["value"] == "default", local)
    code, out, err = run(binary, ["config", "--config", json.dumps(GEMMA3_4B)])
    expect(code == 0 and "default of Gemma3TextConfig" in out, out + err)


def case_no_rope_layers(binary, configs):
    exaone = {"model_type": "exaone4", "head_dim": 128, "rope_theta": 1e6, "sliding_window": 4096,
              "max_position_embeddings": 131072,
              "rope_scaling": {"rope_type": "llama3", "factor": 16.0, "low_freq_factor": 1.0,
                               "high_freq_factor": 4.0,
                               "original_max_position_embeddings": 8192}}
    report = config_json(binary, "--config", json.dumps(exaone))
    expect(layer(report, "full_attention")["rotary"] is False, report)
    expect(layer(report, "sliding_attention")["rope_type"]["value"] == "llama3", report)
    code, _, err = run(binary, ["config", "--config", json.dumps(exaone), "--layer-type",
                                "full_attention"])
    expect_bad_input(code, err, "layer type full_attention of model exaone4 uses no rotary")


def case_bad_inputs(binary, configs):
    code, _, err = run(binary, ["config", "--preset", "llama-3.1-8b", "--config", "{}"])
    expect_bad_input(code, err, "exactly one")
    code, _, err = run(binary, ["config", "--config", '{"head_dim": 64, "rope_scaling": "linear"}'])
    expect_bad_input(code, err, "rope_scaling")
    code, _, err = run(binary, ["config", "--config", json.dumps(GEMMA3_4B), "--layer-type",
                                "sliding_atention"])
    expect_bad_input(code, err, "sliding_atention", "accepted")
    code, _, err = run(binary, ["config", "--config", '{"head_dim": 4294967300}'])
    expect_bad_input(code, err, "head_dim")
    for bad in ("0", "-5"):
        code, _, err = run(binary, ["config", "--preset", "phi-3-mini-128k", "--seq-len", bad])
        expect_bad_input(code, err, "--seq-len")


def case_longrope_list(binary, configs):
    short = config_json(binary, "--preset", "phi-3-mini-128k", "--seq-len", "4096")
    long = config_json(binary, "--preset", "phi-3-mini-128k", "--seq-len", "4097")
    expect(layer(short, "full_attention")["longrope_list"]["value"] == "short_factor", short)
    expect(layer(long, "full_attention")["longrope_list"]["value"] == "long_factor", long)
    factor = layer(long, "full_attention")["attention_factor"]["value"]
    expect(abs(factor - 1.1902380714238083) < 1e-12, factor)  # sqrt(1 + ln 32 / ln 4096)


def rotate(binary, config, layer_type="full_attention", dim=256):
    request = {"config": config, "layer_type": layer_type, "impl": "reference", "dtype": "f64",
               "positions": [0, 7, 1000003, 2147483647],
               "x": [[(i % 7) - 3 + 0.5 * (i % 2) for i in range(dim)] for _ in range(4)]}
    code, out, err = run(binary, ["rotate"], json.dumps(request))
    expect(code == 0, f"exit {code}: {err}")
    return json.loads(out)


def case_rotate_uses_resolved(binary, configs):
    # Class defaults reach the numerics: the Gemma 3 4B file rotates exactly like the same model
    # written out in full.
    implicit = rotate(binary, GEMMA3_4B)
    explicit = rotate(binary, {"head_dim": 256, "rope_theta": 1e6,
                               "rope_scaling": {"rope_type": "linear", "factor": 8.0}})
    expect(implicit["y_hex"] == explicit["y_hex"], "Gemma 3 defaults differ from explicit values")
    expect(implicit["resolved"]["rope_theta"]["origin"].startswith("default of Gemma3TextConfig"),
           implicit["resolved"])
    # The layout inferred from model_type reaches the numerics.
    inferred = rotate(binary, {"model_type": "deepseek_v3", "qk_rope_head_dim": 64}, dim=64)
    written = rotate(binary, {"head_dim": 64, "layout": "interleaved"}, dim=64)
    half = rotate(binary, {"head_dim": 64}, dim=64)
    expect(inferred["y_hex"] == written["y_hex"], "DeepSeek layout not inferred")
    expect(inferred["y_hex"] != half["y_hex"], "layouts indistinguishable in this test")


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}


def main():
    binary, configs, case = sys.argv[1], sys.argv[2], sys.argv[3]
    CASES[case](binary, configs)
    print(f"{case}: ok")


if __name__ == "__main__":
    main()
