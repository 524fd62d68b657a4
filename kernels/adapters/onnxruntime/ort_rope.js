#!/usr/bin/env node
// Runs ONNX Runtime's RotaryEmbedding (a graph from make_graph.py) on a golden vector set and
// writes its outputs y as .npy for `ropecheck grade` (spec/vectors.md). The kernel takes cos/sin
// from the caller: by default the correctly rounded tables of `ropecheck vectors --cos-sin`, so
// what is graded is ONNX Runtime's own arithmetic; with --export-cache, tables built the way
// ONNX exports of Hugging Face models build them (f32 angle), to show that recipe's error.
//
// Usage: node ort_rope.js --ort NODE_MODULES --model G.onnx --vectors SET.safetensors
//          (--cos-sin CACHE.safetensors | --export-cache) --rank 3|4 --out Y.npy
//          [--plant position-plus-one]
// Row t of the tables belongs to token t (the set's positions[t]); the graph's position_ids
// name that row, which is the real position when the set holds positions 0..T-1.
// Exit status: 0 written, 2 bad usage or input, 3 ONNX Runtime failed.
"use strict";
const fs = require("fs");
const path = require("path");

function fail(status, message) {
  process.stderr.write(`ort_rope.js: ${message}\n`);
  process.exit(status);
}

function parseArgs(argv) {
  const args = {};
  const flags = new Set(["--export-cache"]);
  for (let i = 0; i < argv.length; ++i) {
    const key = argv[i];
    if (flags.has(key)) { args[key] = true; continue; }
    if (!key.startsWith("--") || i + 1 >= argv.length) fail(2, `bad argument ${key}`);
    args[key] = argv[++i];
  }
  for (const k of ["--ort", "--model", "--vectors", "--rank", "--out"])
    if (!(k in args)) fail(2, `${k} is required`);
  if (("--cos-sin" in args) === ("--export-cache" in args))
    fail(2, "give exactly one of --cos-sin and --export-cache");
  if (!["3", "4"].includes(args["--rank"])) fail(2, "--rank must be 3 or 4");
  if ("--plant" in args && args["--plant"] !== "position-plus-one")
    fail(2, "--plant accepts only position-plus-one");
  return args;
}

// The tensors and metadata of a .safetensors file (little-endian, C order).
function readSafetensors(file) {
  const bytes = fs.readFileSync(file);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString("utf8"));
  const metadata = header.__metadata__ || {};
  delete header.__metadata__;
  const tensors = {};
  for (const [name, t] of Object.entries(header)) {
    const [begin, end] = t.data_offsets;
    // Copied out so that each typed array starts on its own element boundary.
    const data = new Uint8Array(bytes.subarray(8 + n + begin, 8 + n + end)).buffer;
    tensors[name] = { dtype: t.dtype, shape: t.shape, data };
  }
  return { tensors, metadata };
}

// ONNX Runtime's name for a safetensors dtype, and the typed array of its raw bits.
const KINDS = {
  F32: { ort: "float32", array: Float32Array, npy: "<f4" },
  F16: { ort: "float16", array: Uint16Array, npy: "<f2" },
};

function writeNpy(file, descr, shape, buffer) {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(", ")},), }`;
  const unpadded = 10 + header.length + 1;
  header += " ".repeat((64 - (unpadded % 64)) % 64) + "\n";
  const prefix = Buffer.alloc(10);
  prefix.write("\x93NUMPY", 0, "latin1");
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([prefix, Buffer.from(header, "latin1"), Buffer.from(buffer)]));
}

// The cos/sin tables an ONNX export of a Hugging Face model computes (f32 only): inv_freq =
// 1 / base^(2i/d) in f32, the angle fl32(fl32(m) * inv_freq), then cos and sin in f32. Only the
// default RoPE (no scaling, attention factor 1) is built this way here.
function exportCache(rope, positions, pairs) {
  if (rope.rope_type !== "default" || rope.attention_factor !== 1)
    fail(2, `--export-cache builds only default RoPE tables, not ${rope.rope_type}`);
  const f = Math.fround;
  const d = rope.rotary_dim;
  const invFreq = [];
  for (let i = 0; i < pairs; ++i)
    invFreq.push(f(1 / f(Math.pow(f(rope.rope_theta), f(f(2 * i) / d)))));
  const cos = new Float32Array(positions.length * pairs);
  const sin = new Float32Array(positions.length * pairs);
  positions.forEach((m, t) => {
    for (let i = 0; i < pairs; ++i) {
      const angle = f(f(Number(m)) * invFreq[i]);
      cos[t * pairs + i] = Math.cos(angle);
      sin[t * pairs + i] = Math.sin(angle);
    }
  });
  return { cos: cos.buffer, sin: sin.buffer };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const ort = require(path.resolve(args["--ort"], "onnxruntime-node"));
  const set = readSafetensors(args["--vectors"]);
  const x = set.tensors.x;
  const kind = KINDS[x.dtype];
  if (!kind) fail(2, `ONNX Runtime's RotaryEmbedding runs f32 and f16 sets, not ${x.dtype}`);
  const [tokens, heads, headDim] = x.shape;
  const rope = JSON.parse(set.metadata.rope);
  const pairs = rope.rotary_dim / 2;
  const positions = new BigInt64Array(set.tensors.positions.data);

  let tables;
  if (args["--export-cache"]) {
    if (x.dtype !== "F32") fail(2, "--export-cache builds f32 tables only");
    tables = exportCache(rope, positions, pairs);
  } else {
    const cache = readSafetensors(args["--cos-sin"]).tensors;
    for (const name of ["cos", "sin"]) {
      const t = cache[name];
      if (!t || t.dtype !== x.dtype || t.shape[0] !== tokens || t.shape[1] !== pairs)
        fail(2, `${args["--cos-sin"]}: ${name} must be ${x.dtype} [${tokens}, ${pairs}]`);
    }
    tables = { cos: cache.cos.data, sin: cache.sin.data };
  }

  // Token t reads table row ids[t]; the planted bug reads the next row (the cache of position
  // m + 1 when the set holds 0..T-1), wrapping at the end.
  const shift = args["--plant"] === "position-plus-one" ? 1 : 0;
  const ids = BigInt64Array.from({ length: tokens }, (_, t) => BigInt((t + shift) % tokens));
  const rowOrder = Array.from(ids, Number);
  const reorder = (buffer) => {
    const src = new kind.array(buffer);
    const out = new kind.array(tokens * pairs);
    rowOrder.forEach((row, t) => out.set(src.subarray(row * pairs, (row + 1) * pairs), t * pairs));
    return out;
  };
  const rank4 = args["--rank"] === "4";
  const values = new kind.array(x.data);
  // Rank 4 is (batch, heads, sequence, head_size): the set's [tokens, heads, head_dim] transposed.
  const transpose = (src, a, b) => {
    const out = new kind.array(src.length);
    for (let i = 0; i < a; ++i)
      for (let j = 0; j < b; ++j)
        out.set(src.subarray((i * b + j) * headDim, (i * b + j + 1) * headDim), (j * a + i) * headDim);
    return out;
  };

  const session = await ort.InferenceSession.create(args["--model"]);
  const feeds = {
    x: new ort.Tensor(kind.ort, rank4 ? transpose(values, tokens, heads) : values,
                      rank4 ? [1, heads, tokens, headDim] : [1, tokens, heads * headDim]),
  };
  if (session.inputNames.includes("position_ids")) {
    feeds.position_ids = new ort.Tensor("int64", ids, [1, tokens]);
    feeds.cos_cache = new ort.Tensor(kind.ort, new kind.array(tables.cos), [tokens, pairs]);
    feeds.sin_cache = new ort.Tensor(kind.ort, new kind.array(tables.sin), [tokens, pairs]);
  } else {
    // Per-token tables (opset 23 without position_ids): the rows in the order tokens read them.
    feeds.cos_cache = new ort.Tensor(kind.ort, reorder(tables.cos), [1, tokens, pairs]);
    feeds.sin_cache = new ort.Tensor(kind.ort, reorder(tables.sin), [1, tokens, pairs]);
  }
  let result;
  try {
    result = await session.run(feeds);
  } catch (e) {
    fail(3, `ONNX Runtime failed: ${e.message}`);
  }
  const y = result.y;
  if (y.type !== kind.ort || y.data.length !== values.length)
    fail(3, `ONNX Runtime returned ${y.type} with ${y.data.length} values`);
  const out = rank4 ? transpose(y.data, heads, tokens) : y.data;
  writeNpy(args["--out"], kind.npy, [tokens, heads, headDim], out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength));
  return 0;
}

main().catch((e) => fail(3, e.stack || String(e)));
