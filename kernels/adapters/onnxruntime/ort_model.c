#include "ort_model.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Protobuf wire types: varint and length-delimited. */
enum { kVarint = 0, kBytes = 2 };

static void put(ort_model* m, const void* data, size_t size) {
  if (m->failed) return;
  if (m->size + size > m->capacity) {
    size_t capacity = m->capacity ? m->capacity : 256;
    while (capacity < m->size + size) capacity *= 2;
    unsigned char* grown = realloc(m->bytes, capacity);
    if (grown == NULL) {
      m->failed = 1;
      return;
    }
    m->bytes = grown;
    m->capacity = capacity;
  }
  memcpy(m->bytes + m->size, data, size);
  m->size += size;
}

static void varint(ort_model* m, uint64_t v) {
  unsigned char byte;
  do {
    byte = (unsigned char)(v & 0x7f);
    v >>= 7;
    if (v) byte |= 0x80;
    put(m, &byte, 1);
  } while (v);
}

static void field_int(ort_model* m, int field, int64_t v) {
  varint(m, (uint64_t)field << 3 | kVarint);
  varint(m, (uint64_t)v);
}

static void field_bytes(ort_model* m, int field, const void* data, size_t size) {
  varint(m, (uint64_t)field << 3 | kBytes);
  varint(m, size);
  put(m, data, size);
}

static void field_string(ort_model* m, int field, const char* s) {
  field_bytes(m, field, s, strlen(s));
}

/* Appends `sub` as message field `field` of `m` and frees it. */
static void field_message(ort_model* m, int field, ort_model* sub) {
  if (sub->failed) m->failed = 1;
  field_bytes(m, field, sub->bytes, sub->size);
  ort_model_free(sub);
}

/* ValueInfoProto: name, TypeProto{tensor_type{elem_type, shape{dim{dim_param}...}}}. */
static void value_info(ort_model* graph, int field, const char* name, int elem, int rank,
                       const char* const* dims) {
  ort_model shape = {0}, tensor = {0}, type = {0}, info = {0};
  for (int k = 0; k < rank; ++k) {
    ort_model dim = {0};
    field_string(&dim, 2, dims[k]); /* Dimension.dim_param */
    field_message(&shape, 1, &dim); /* TensorShapeProto.dim */
  }
  field_int(&tensor, 1, elem);       /* TypeProto.Tensor.elem_type */
  field_message(&tensor, 2, &shape); /* TypeProto.Tensor.shape */
  field_message(&type, 1, &tensor);  /* TypeProto.tensor_type */
  field_string(&info, 1, name);      /* ValueInfoProto.name */
  field_message(&info, 2, &type);    /* ValueInfoProto.type */
  field_message(graph, field, &info);
}

static void attribute_int(ort_model* node, const char* name, int64_t v) {
  ort_model a = {0};
  field_string(&a, 1, name); /* AttributeProto.name */
  field_int(&a, 3, v);       /* AttributeProto.i */
  field_int(&a, 20, 2);      /* AttributeProto.type = INT */
  field_message(node, 5, &a);
}

static void opset(ort_model* model, const char* domain, int64_t version) {
  ort_model o = {0};
  if (*domain) field_string(&o, 1, domain); /* OperatorSetIdProto.domain */
  field_int(&o, 2, version);                /* OperatorSetIdProto.version */
  field_message(model, 8, &o);              /* ModelProto.opset_import */
}

int ort_model_write(ort_model* model, ort_op op, int elem, int interleaved, int rotary_dim) {
  memset(model, 0, sizeof *model);
  static const char* const x_dims[] = {"batch", "rows", "head_dim"};
  static const char* const id_dims[] = {"batch", "rows"};
  static const char* const cache_dims[] = {"cache_rows", "half"};
  /* The contrib op's inputs are (input, position_ids, cos, sin); opset 23's (X, cos, sin,
   * position_ids). The session feeds them by name. */
  static const char* const contrib_inputs[] = {"x", "position_ids", "cos_cache", "sin_cache"};
  static const char* const onnx_inputs[] = {"x", "cos_cache", "sin_cache", "position_ids"};
  const char* const* inputs = op == ORT_OP_CONTRIB ? contrib_inputs : onnx_inputs;

  ort_model node = {0}, graph = {0};
  for (int k = 0; k < 4; ++k) field_string(&node, 1, inputs[k]); /* NodeProto.input */
  field_string(&node, 2, "y");                                   /* NodeProto.output */
  field_string(&node, 3, "rotary");                              /* NodeProto.name */
  field_string(&node, 4, "RotaryEmbedding");                     /* NodeProto.op_type */
  attribute_int(&node, "interleaved", interleaved);
  attribute_int(&node, "num_heads", 1);
  attribute_int(&node, "rotary_embedding_dim", rotary_dim);
  if (op == ORT_OP_CONTRIB) field_string(&node, 7, "com.microsoft"); /* NodeProto.domain */
  field_message(&graph, 1, &node);                                   /* GraphProto.node */
  field_string(&graph, 2, "rotary_embedding");                       /* GraphProto.name */
  for (int k = 0; k < 4; ++k) {
    const char* name = inputs[k];
    if (strcmp(name, "x") == 0)
      value_info(&graph, 11, name, elem, 3, x_dims);
    else if (strcmp(name, "position_ids") == 0)
      value_info(&graph, 11, name, 7, 2, id_dims);
    else
      value_info(&graph, 11, name, elem, 2, cache_dims);
  }
  value_info(&graph, 12, "y", elem, 3, x_dims); /* GraphProto.output */

  /* IR version 10: what the opset-23 operator needs (ONNX 1.18). */
  field_int(model, 1, 10);             /* ModelProto.ir_version */
  field_string(model, 2, "ropecheck"); /* ModelProto.producer_name */
  field_message(model, 7, &graph);     /* ModelProto.graph */
  opset(model, "", 23);
  if (op == ORT_OP_CONTRIB) opset(model, "com.microsoft", 1);
  if (model->failed) {
    ort_model_free(model);
    return 0;
  }
  return 1;
}

void ort_model_free(ort_model* model) {
  free(model->bytes);
  model->bytes = NULL;
  model->size = model->capacity = 0;
}
