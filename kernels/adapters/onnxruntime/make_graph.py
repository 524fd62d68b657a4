#!/usr/bin/env python3
"""Writes an ONNX graph holding one RotaryEmbedding node, with Debian's python3-onnx.

Two operators: ONNX Runtime's contrib op (domain com.microsoft, opset 1: inputs input,
position_ids, cos_cache, sin_cache) and the standard one of ONNX opset 23 (inputs X, cos_cache,
sin_cache and optional position_ids). Shapes are symbolic, so one graph serves any vector set:
rank 3 is (batch, sequence, num_heads * head_size) with the num_heads attribute, rank 4 is
(batch, num_heads, sequence, head_size). With position ids the caches are
(rows, rotary_dim / 2), indexed by the id of each token; without them (opset 23 only) they are
per token, (batch, sequence, rotary_dim / 2).

Usage: make_graph.py --op contrib|onnx23 --dtype f32|f16 --layout half|interleaved
                     --num-heads H --rotary-dim R --rank 3|4 [--no-position-ids] --out FILE.onnx
"""
import argparse
import sys

from onnx import TensorProto, helper, save

# The opset-23 operator needs IR version 10 (ONNX 1.18); Debian's onnx module predates it but
# writes the protobuf all the same, and ONNX Runtime reads the version from the file.
IR_VERSION = 10


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--op", choices=("contrib", "onnx23"), required=True)
    parser.add_argument("--dtype", choices=("f32", "f16"), required=True)
    parser.add_argument("--layout", choices=("half", "interleaved"), required=True)
    parser.add_argument("--num-heads", type=int, required=True)
    parser.add_argument("--rotary-dim", type=int, required=True)
    parser.add_argument("--rank", type=int, choices=(3, 4), required=True)
    parser.add_argument("--no-position-ids", action="store_true",
                        help="opset 23 only: per-token caches of shape (batch, sequence, R/2)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if args.num_heads < 1 or args.rotary_dim < 2 or args.rotary_dim % 2:
        parser.error("--num-heads must be positive and --rotary-dim even and positive")
    if args.no_position_ids and args.op == "contrib":
        parser.error("the contrib operator always takes position_ids")

    elem = TensorProto.FLOAT if args.dtype == "f32" else TensorProto.FLOAT16
    x_shape = ["batch", "sequence", "hidden"] if args.rank == 3 else \
              ["batch", "heads", "sequence", "head_size"]
    half = args.rotary_dim // 2
    cache_shape = ["batch", "sequence", half] if args.no_position_ids else ["rows", half]
    x = helper.make_tensor_value_info("x", elem, x_shape)
    ids = helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch", "sequence"])
    cos = helper.make_tensor_value_info("cos_cache", elem, cache_shape)
    sin = helper.make_tensor_value_info("sin_cache", elem, cache_shape)
    y = helper.make_tensor_value_info("y", elem, x_shape)
    attributes = dict(interleaved=int(args.layout == "interleaved"), num_heads=args.num_heads,
                      rotary_embedding_dim=args.rotary_dim)
    if args.op == "contrib":
        inputs, node_inputs = [x, ids, cos, sin], ["x", "position_ids", "cos_cache", "sin_cache"]
        node = helper.make_node("RotaryEmbedding", node_inputs, ["y"], domain="com.microsoft",
                                **attributes)
        opsets = [helper.make_opsetid("", 23), helper.make_opsetid("com.microsoft", 1)]
    else:
        inputs, node_inputs = [x, cos, sin], ["x", "cos_cache", "sin_cache"]
        if not args.no_position_ids:
            inputs.append(ids)
            node_inputs.append("position_ids")
        node = helper.make_node("RotaryEmbedding", node_inputs, ["y"], **attributes)
        opsets = [helper.make_opsetid("", 23)]
    graph = helper.make_graph([node], "rotary_embedding", inputs, [y])
    model = helper.make_model(graph, opset_imports=opsets, producer_name="ropecheck")
    model.ir_version = IR_VERSION
    save(model, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
