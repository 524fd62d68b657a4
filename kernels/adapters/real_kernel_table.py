#!/usr/bin/env python3
"""The real-kernel accuracy table (README, "Real kernels"): real third-party RoPE kernels run on
ropecheck's golden vectors and graded by `ropecheck grade`.

Rows: llama.cpp's ggml CPU RoPE (NORMAL = interleaved, NEOX = half-split; f32; through the ggml
adapter plugin's C ABI, loaded here with ctypes), ONNX Runtime's RotaryEmbedding (contrib and
opset-23 ops, f32 and f16, fed the correctly rounded cos/sin cache; and the contrib op fed the
tables an ONNX export builds, f32 angle), and PyTorch's Hugging Face recipe on the CPU
(examples/torch/rope_torch.py --impl plain, when that file exists). Columns: the audit's position
bands, each cell the worst error relative to the pair norm in that band; then the bound each row
is held to, the bound margin (measured / allowed at the worst output; > 1 means outside), the
registered pipeline it computes like, and the verdict. A kernel outside its bound is a finding
the table reports, not a failure of this script: with --check FILE, it exits 1 only when a row's
verdict differs from the one recorded in FILE (or a recorded row is missing).

Usage: real_kernel_table.py --ropecheck BIN --ggml-adapter SO --ggml-dir DIR --ort-dir DIR
                            --out DIR [--check VERDICTS.json] [--torch-script PATH]
Writes DIR/table.md (also printed), DIR/verdicts.json and each row's grade report in DIR/ROW/.
"""
import argparse
import ctypes
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(HERE, "onnxruntime"))
import ort_harness as h  # noqa: E402

# A real model's RoPE (Llama 2 7B: base 10000, head_dim 128, no scaling), two heads per token,
# positions from 0 to 2^31 - 1 (ggml's positions are int32) across every audit band.
PRESET = "llama-2-7b"
POSITIONS = "0..15,log:16..2^31-1:80"
HEADS = 2
TORCH_SCRIPT = os.path.join(ROOT, "examples", "torch", "rope_torch.py")


# --- ggml through its adapter plugin (kernels/abi/ropecheck_kernel.h, ABI version 1) ---------
class RopeConfig(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("head_dim", ctypes.c_int32),
                ("rotary_dim", ctypes.c_int32), ("layout", ctypes.c_uint32),
                ("base", ctypes.c_double), ("rope_type", ctypes.c_uint32),
                ("truncate", ctypes.c_int32), ("factor", ctypes.c_double),
                ("original_max_position_embeddings", ctypes.c_int64),
                ("max_position_embeddings", ctypes.c_int64), ("seq_len", ctypes.c_int64),
                ("beta_fast", ctypes.c_double), ("beta_slow", ctypes.c_double),
                ("mscale", ctypes.c_double), ("mscale_all_dim", ctypes.c_double),
                ("low_freq_factor", ctypes.c_double), ("high_freq_factor", ctypes.c_double),
                ("short_factor", ctypes.POINTER(ctypes.c_double)),
                ("long_factor", ctypes.POINTER(ctypes.c_double)),
                ("short_factor_count", ctypes.c_int32), ("long_factor_count", ctypes.c_int32),
                ("rotated_fraction", ctypes.c_double), ("attention_factor", ctypes.c_double)]


class KernelArgs(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("dtype", ctypes.c_uint32),
                ("config", ctypes.POINTER(RopeConfig)), ("state", ctypes.c_void_p),
                ("tokens", ctypes.c_int64), ("heads", ctypes.c_int64),
                ("head_dim", ctypes.c_int64), ("positions", ctypes.POINTER(ctypes.c_int64)),
                ("x", ctypes.c_void_p), ("y", ctypes.c_void_p),
                ("cos_sin_dtype", ctypes.c_uint32), ("cos_sin_pairs", ctypes.c_int32),
                ("cos", ctypes.c_void_p), ("sin", ctypes.c_void_p),
                ("error", ctypes.c_char_p), ("error_size", ctypes.c_size_t)]


INIT = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(RopeConfig), ctypes.c_uint32,
                        ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p, ctypes.c_size_t)
APPLY = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(KernelArgs))


class Kernel(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("description", ctypes.c_char_p),
                ("dtypes", ctypes.c_uint32), ("layouts", ctypes.c_uint32),
                ("rope_types", ctypes.c_uint32), ("angle_mode", ctypes.c_uint32),
                ("cos_sin_dtype", ctypes.c_uint32), ("max_position", ctypes.c_int64),
                ("bound", ctypes.c_char_p), ("init", INIT), ("teardown", ctypes.c_void_p),
                ("supports", ctypes.c_void_p), ("apply", APPLY)]


class KernelTable(ctypes.Structure):
    _fields_ = [("abi_version", ctypes.c_uint32), ("count", ctypes.c_uint32),
                ("kernels", ctypes.POINTER(Kernel))]


RC_DTYPE_F32, RC_LAYOUT_HALF, RC_LAYOUT_INTERLEAVED = 0x2, 0x1, 0x2


def read_set(path):
    """x (as raw f32 bytes), positions and the parsed config of a vector set."""
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__")
    tensors = {k: data[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]]
               for k, v in header.items()}
    return header, tensors, meta


def write_npy_f32(path, shape, raw):
    descr = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s,), }" % ", ".join(map(str, shape))
    descr += " " * ((64 - (10 + len(descr) + 1) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(descr)) + descr.encode("latin1"))
        f.write(raw)


def run_ggml(adapter, ggml_dir, vectors, out):
    """ggml_rope_ext on the set (its layout picks NORMAL or NEOX) into `out` (.npy)."""
    os.environ["ROPECHECK_GGML_DIR"] = ggml_dir
    lib = ctypes.CDLL(os.path.abspath(adapter))
    lib.ropecheck_kernels.restype = ctypes.POINTER(KernelTable)
    table = lib.ropecheck_kernels(1)
    if not table or table.contents.count < 1:
        raise RuntimeError(f"{adapter}: no kernel table for ABI version 1")
    kernel = table.contents.kernels[0]
    header, tensors, meta = read_set(vectors)
    rope = json.loads(meta["rope"])
    if rope["rope_type"] != "default" or header["x"]["dtype"] != "F32":
        raise RuntimeError("the ggml row runs default RoPE on f32 sets only")
    tokens, heads, head_dim = header["x"]["shape"]
    config = RopeConfig(struct_size=ctypes.sizeof(RopeConfig), head_dim=head_dim,
                        rotary_dim=rope["rotary_dim"],
                        layout=RC_LAYOUT_INTERLEAVED if rope["layout"] == "interleaved"
                        else RC_LAYOUT_HALF, base=rope["rope_theta"], rope_type=0, truncate=1,
                        factor=1.0, seq_len=int(meta["seq_len"]), beta_fast=32.0, beta_slow=1.0,
                        rotated_fraction=1.0, attention_factor=1.0)
    error = ctypes.create_string_buffer(512)
    state = ctypes.c_void_p()
    if kernel.init(ctypes.byref(config), RC_DTYPE_F32, ctypes.byref(state), error, 512) != 0:
        raise RuntimeError(f"ggml init failed: {error.value.decode()}")
    positions = (ctypes.c_int64 * tokens)(*struct.unpack(f"<{tokens}q", tensors["positions"]))
    x = ctypes.create_string_buffer(tensors["x"], len(tensors["x"]))
    y = ctypes.create_string_buffer(len(tensors["x"]))
    args = KernelArgs(struct_size=ctypes.sizeof(KernelArgs), dtype=RC_DTYPE_F32,
                      config=ctypes.pointer(config), state=state, tokens=tokens, heads=heads,
                      head_dim=head_dim, positions=positions, x=ctypes.cast(x, ctypes.c_void_p),
                      y=ctypes.cast(y, ctypes.c_void_p), error=ctypes.cast(error, ctypes.c_char_p),
                      error_size=512)
    if kernel.apply(ctypes.byref(args)) != 0:
        raise RuntimeError(f"ggml apply failed: {error.value.decode()}")
    write_npy_f32(out, [tokens, heads, head_dim], y.raw)
    return out


# --- the rows ---------------------------------------------------------------------------------
def rows(args, work):
    """(row name, bound, function writing y for a set, set key) for every row that can run."""
    out = []
    for mode, layout in (("NORMAL", "interleaved"), ("NEOX", "half")):
        out.append((f"ggml {mode} f32", "f32", f"f32-{layout}",
                    lambda s, y: run_ggml(args.ggml_adapter, args.ggml_dir, s["vectors"], y)))
    for op, label in (("contrib", "ORT contrib"), ("onnx23", "ORT opset-23")):
        for dtype in ("f32", "f16"):
            def ort(s, y, op=op, dtype=dtype):
                model = h.make_graph(work, op, dtype, "half", HEADS, 128, 3)
                return h.run_ort(args.ort_dir, model, s["vectors"], y, 3, s["cos_sin"])
            out.append((f"{label} {dtype}, correctly rounded cache", "cache:f32", f"{dtype}-half",
                        ort))

    def export(s, y):
        model = h.make_graph(work, "contrib", "f32", "half", HEADS, 128, 3)
        return h.run_ort(args.ort_dir, model, s["vectors"], y, 3)
    out.append(("ORT contrib f32, export-built cache (f32 angle)", "f32", "f32-half", export))
    if os.path.isfile(args.torch_script):
        def torch(s, y):
            h.checked([h.PYTHON, args.torch_script, s["vectors"], y, "--device", "cpu", "--impl",
                       "plain"], "rope_torch.py")
            return y
        out.append(("PyTorch HF recipe f32, CPU", "f32", "f32-half", torch))
    return out


def cell(value):
    return "—" if value is None else f"{value:.1e}"


def band_name(lo, hi):
    def p(v):
        return str(v) if v < 1024 or v & (v - 1) else f"2^{v.bit_length() - 1}"
    return f"[{p(lo)}, {p(hi)})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for option in ("--ropecheck", "--ggml-adapter", "--ggml-dir", "--ort-dir", "--out"):
        parser.add_argument(option, required=True)
    parser.add_argument("--check", help="recorded verdicts (JSON: row -> PASS or FAIL)")
    parser.add_argument("--torch-script", default=TORCH_SCRIPT,
                        help="the PyTorch row's program (default: examples/torch/rope_torch.py)")
    args = parser.parse_args()
    h.ort_dir_or_exit(args.ort_dir)
    os.makedirs(args.out, exist_ok=True)
    work = os.path.join(args.out, "work")
    os.makedirs(work, exist_ok=True)

    sets = {}
    for dtype in ("f32", "f16"):
        for layout in ("half", "interleaved"):
            if dtype == "f16" and layout == "interleaved":
                continue
            vectors, cos_sin = h.make_set(args.ropecheck, work, f"{dtype}-{layout}",
                                          None, dtype, POSITIONS, HEADS, preset=PRESET,
                                          layout=layout)
            sets[f"{dtype}-{layout}"] = {"vectors": vectors, "cos_sin": cos_sin}

    results, bands = [], None
    for name, bound, key, produce in rows(args, work):
        slug = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
        y = produce(sets[key], os.path.join(work, slug + ".npy"))
        code, _, report = h.grade(args.ropecheck, sets[key]["vectors"], y, bound,
                                  os.path.join(args.out, slug))
        row_bands = [(b["lo"], b["hi"]) for b in report["bands"]]
        bands = bands or row_bands
        if row_bands != bands:
            raise RuntimeError(f"{name}: bands {row_bands} differ from {bands}")
        errors = [None if b["max_rel_err"] is None else float(b["max_rel_err"]["error"])
                  for b in report["bands"]]
        closest = report["behaves_like"][0] if report["behaves_like"] else None
        like = "—" if closest is None else \
            f"`{closest['impl']}` ({100 * closest['share']:.0f} %)"
        results.append({"row": name, "bound": bound, "errors": errors,
                        "margin": float(report["margin"]), "behaves_like": like,
                        "verdict": "PASS" if code == 0 else "FAIL"})

    lines = ["| kernel | " + " | ".join(band_name(lo, hi) for lo, hi in bands) +
             " | bound | margin | behaves like | verdict |",
             "|---" * (len(bands) + 5) + "|"]
    for r in results:
        lines.append(f"| {r['row']} | " + " | ".join(cell(e) for e in r["errors"]) +
                     f" | `{r['bound']}` | {r['margin']:.3g} | {r['behaves_like']} | "
                     f"{r['verdict']} |")
    if not os.path.isfile(args.torch_script):
        lines.append("")
        shown = os.path.relpath(args.torch_script, ROOT) \
            if os.path.abspath(args.torch_script).startswith(ROOT + os.sep) else args.torch_script
        lines.append(f"(No PyTorch row: {shown} does not exist.)")
    table = "\n".join(lines) + "\n"
    print(table, end="")
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write(table)
    verdicts = {r["row"]: r["verdict"] for r in results}
    with open(os.path.join(args.out, "verdicts.json"), "w") as f:
        json.dump(verdicts, f, indent=2)
        f.write("\n")

    if args.check:
        recorded = json.load(open(args.check))
        wrong = [f"{row}: recorded {v}, got {verdicts.get(row, 'no row')}"
                 for row, v in recorded.items()
                 if verdicts.get(row) != v and not (row.startswith("PyTorch") and
                                                   not os.path.isfile(args.torch_script))]
        wrong += [f"{row}: no recorded verdict" for row in verdicts if row not in recorded]
        if wrong:
            print("FAIL: verdicts differ from " + args.check + ":\n  " + "\n  ".join(wrong))
            return 1
        print(f"every row's verdict is the recorded one ({args.check})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
