/* A one-node ONNX model holding ONNX Runtime's RotaryEmbedding, written as protobuf bytes (the
 * ONNX ModelProto wire format) for the C ABI adapter, so it needs no model file. */
#ifndef ROPECHECK_ORT_MODEL_H
#define ROPECHECK_ORT_MODEL_H

#include <stddef.h>

typedef enum { ORT_OP_CONTRIB, ORT_OP_ONNX23 } ort_op;

typedef struct {
  unsigned char* bytes;
  size_t size, capacity;
  int failed; /* an allocation failed */
} ort_model;

/* Writes the model: inputs x (1, rows, head_dim) and the (rows_of_cache, rotary_dim / 2) caches
 * of ONNX element type `elem` (1 float, 10 float16), position_ids (1, rows) int64, output y;
 * attributes interleaved, num_heads = 1, rotary_embedding_dim. Returns 0 when out of memory. */
int ort_model_write(ort_model* model, ort_op op, int elem, int interleaved, int rotary_dim);
void ort_model_free(ort_model* model);

#endif
