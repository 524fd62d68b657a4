/* A ropecheck plugin around ONNX Runtime's RotaryEmbedding, loaded at run time from the npm
 * package onnxruntime-node (ci/onnxruntime.sh installs the pinned 1.30.0) through ORT's C API.
 *
 * Two kernels, each taking ropecheck's correctly rounded cos/sin tables (RC_ANGLES_COS_SIN_CACHE,
 * spec/kernel-abi.md 6.3), in f32 and f16, both layouts:
 *   "ort_contrib_rotary"  the com.microsoft contrib op (opset 1)
 *   "ort_onnx23_rotary"   the standard ONNX opset-23 op
 * Per configuration, init writes a one-node ONNX model (ort_model.c) and creates a session; each
 * apply feeds x as (1, tokens * heads, head_dim) with num_heads = 1, position_ids naming each
 * row's token, and the tables as the (tokens, rotary_dim / 2) cache those ids index.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ort_model.h"
#include "ropecheck_kernel.h"

#ifndef ROPECHECK_ORT_DEFAULT_DIR
#define ROPECHECK_ORT_DEFAULT_DIR ""
#endif

/* ORT's C API: OrtGetApiBase() gives GetApi(version), a table of function pointers that ONNX
 * Runtime only ever appends to, so the slots below (onnxruntime_c_api.h, struct OrtApi) are the
 * same in every version since 1.x. The types are opaque. */
typedef struct OrtStatus OrtStatus;
typedef struct {
  const void* (*get_api)(uint32_t version);
  const char* (*get_version_string)(void);
} OrtApiBase;

enum {
  kGetErrorMessage = 2,
  kCreateEnv = 3,
  kCreateSessionFromArray = 8,
  kRun = 9,
  kCreateSessionOptions = 10,
  kCreateTensorWithDataAsOrtValue = 49,
  kGetTensorMutableData = 51,
  kCreateCpuMemoryInfo = 69,
  kReleaseEnv = 92,
  kReleaseStatus = 93,
  kReleaseMemoryInfo = 94,
  kReleaseSession = 95,
  kReleaseValue = 96,
  kReleaseSessionOptions = 100,
};
/* The API version asked for: any version the library serves returns the same table. */
#define ORT_API_VERSION_USED 16u
#define ORT_LOGGING_LEVEL_ERROR 3
#define ORT_ARENA_ALLOCATOR 1
#define ORT_MEM_TYPE_DEFAULT 0
#define ONNX_FLOAT 1
#define ONNX_INT64 7
#define ONNX_FLOAT16 10

typedef const char* (*GetErrorMessageFn)(const OrtStatus*);
typedef OrtStatus* (*CreateEnvFn)(int, const char*, void**);
typedef OrtStatus* (*CreateSessionFromArrayFn)(const void*, const void*, size_t, const void*,
                                               void**);
typedef OrtStatus* (*RunFn)(void*, const void*, const char* const*, const void* const*, size_t,
                            const char* const*, size_t, void**);
typedef OrtStatus* (*CreateSessionOptionsFn)(void**);
typedef OrtStatus* (*CreateTensorFn)(const void*, void*, size_t, const int64_t*, size_t, int,
                                     void**);
typedef OrtStatus* (*GetTensorMutableDataFn)(void*, void**);
typedef OrtStatus* (*CreateCpuMemoryInfoFn)(int, int, void**);
typedef void (*ReleaseFn)(void*);
/* One slot of the table; each is cast back to its own type (ORT_FN) before the call. */
typedef void (*OrtSlot)(void);

static struct {
  int tried, loaded;
  char error[1600], description[1600];
  const OrtSlot* api;
  void* env;
  void* memory;
} g_ort;

#define ORT_FN(type, slot) ((type)g_ort.api[slot])

/* Writes ORT's message for a non-NULL status into `error` and releases it; returns whether the
 * call failed. */
static int failed(OrtStatus* status, const char* what, char* error, size_t error_size) {
  if (status == NULL) return 0;
  snprintf(error, error_size, "%s: %s", what, ORT_FN(GetErrorMessageFn, kGetErrorMessage)(status));
  ORT_FN(ReleaseFn, kReleaseStatus)(status);
  return 1;
}

static void ort_load(void) {
  g_ort.tried = 1;
  const char* dir = getenv("ROPECHECK_ORT_DIR");
  if (dir == NULL || *dir == '\0') dir = ROPECHECK_ORT_DEFAULT_DIR;
  char path[1200];
  snprintf(path, sizeof path, "%s/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1", dir);
  void* lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    snprintf(g_ort.error, sizeof g_ort.error,
             "cannot load %s (run ci/onnxruntime.sh, or set ROPECHECK_ORT_DIR): %s", path,
             dlerror());
    return;
  }
  /* dlsym returns an object pointer; copied, not cast, into the function pointer (ISO C). */
  const OrtApiBase* (*get_base)(void) = NULL;
  void* symbol = dlsym(lib, "OrtGetApiBase");
  if (symbol != NULL) memcpy(&get_base, &symbol, sizeof get_base);
  const OrtApiBase* base = get_base ? get_base() : NULL;
  g_ort.api = base ? (const OrtSlot*)base->get_api(ORT_API_VERSION_USED) : NULL;
  if (g_ort.api == NULL) {
    snprintf(g_ort.error, sizeof g_ort.error, "%s serves no C API version %u", path,
             ORT_API_VERSION_USED);
    return;
  }
  if (failed(ORT_FN(CreateEnvFn, kCreateEnv)(ORT_LOGGING_LEVEL_ERROR, "ropecheck", &g_ort.env),
             "CreateEnv", g_ort.error, sizeof g_ort.error) ||
      failed(ORT_FN(CreateCpuMemoryInfoFn, kCreateCpuMemoryInfo)(
                 ORT_ARENA_ALLOCATOR, ORT_MEM_TYPE_DEFAULT, &g_ort.memory),
             "CreateCpuMemoryInfo", g_ort.error, sizeof g_ort.error))
    return;
  snprintf(g_ort.description, sizeof g_ort.description, "ONNX Runtime %s, %s",
           base->get_version_string(), path);
  g_ort.loaded = 1;
}

typedef struct {
  void* session;
  int dtype_onnx;
  size_t value_size;
  int pairs;
} ort_state;

static int init_op(ort_op op, const rc_rope_config* c, uint32_t dtype, void** state, char* error,
                   size_t error_size) {
  if (!g_ort.loaded) {
    snprintf(error, error_size, "%s", g_ort.error);
    return RC_ERROR_INTERNAL;
  }
  ort_state* s = calloc(1, sizeof *s);
  if (s == NULL) return RC_ERROR_INTERNAL;
  s->dtype_onnx = dtype == RC_DTYPE_F16 ? ONNX_FLOAT16 : ONNX_FLOAT;
  s->value_size = dtype == RC_DTYPE_F16 ? 2 : 4;
  s->pairs = c->rotary_dim / 2;
  ort_model model;
  if (!ort_model_write(&model, op, s->dtype_onnx, c->layout == RC_LAYOUT_INTERLEAVED,
                       c->rotary_dim)) {
    free(s);
    snprintf(error, error_size, "out of memory writing the ONNX model");
    return RC_ERROR_INTERNAL;
  }
  void* options = NULL;
  int bad = failed(ORT_FN(CreateSessionOptionsFn, kCreateSessionOptions)(&options),
                   "CreateSessionOptions", error, error_size);
  if (!bad)
    bad = failed(ORT_FN(CreateSessionFromArrayFn, kCreateSessionFromArray)(
                     g_ort.env, model.bytes, model.size, options, &s->session),
                 "CreateSessionFromArray", error, error_size);
  if (options != NULL) ORT_FN(ReleaseFn, kReleaseSessionOptions)(options);
  ort_model_free(&model);
  if (bad) {
    free(s);
    return RC_ERROR_INTERNAL;
  }
  *state = s;
  return RC_OK;
}

static int init_contrib(const rc_rope_config* c, uint32_t dtype, void** state, char* error,
                        size_t error_size) {
  return init_op(ORT_OP_CONTRIB, c, dtype, state, error, error_size);
}

static int init_onnx23(const rc_rope_config* c, uint32_t dtype, void** state, char* error,
                       size_t error_size) {
  return init_op(ORT_OP_ONNX23, c, dtype, state, error, error_size);
}

static void teardown(void* state) {
  ort_state* s = state;
  if (s == NULL) return;
  if (s->session != NULL) ORT_FN(ReleaseFn, kReleaseSession)(s->session);
  free(s);
}

/* A tensor over caller memory (ORT does not write through it: inputs only). */
static int tensor(const void* data, size_t bytes, const int64_t* shape, size_t rank, int type,
                  void** out, char* error, size_t error_size) {
  return failed(ORT_FN(CreateTensorFn, kCreateTensorWithDataAsOrtValue)(
                    g_ort.memory, (void*)data, bytes, shape, rank, type, out),
                "CreateTensorWithDataAsOrtValue", error, error_size);
}

static int apply(const rc_kernel_args* args) {
  const ort_state* s = args->state;
  const int64_t rows = args->tokens * args->heads;
  int64_t* ids = malloc((size_t)rows * sizeof *ids);
  if (ids == NULL) return RC_ERROR_INTERNAL;
  /* Row r is head r % heads of token r / heads, which reads that token's cache row. */
  for (int64_t r = 0; r < rows; ++r) ids[r] = r / args->heads;
  const int64_t x_shape[3] = {1, rows, args->head_dim};
  const int64_t id_shape[2] = {1, rows};
  /* ONNX Runtime refuses a cache with fewer rows than the sequence ("Updating cos_cache and
   * sin_cache ... is not currently supported"), though the ids only name the first `tokens`:
   * the tables are copied into caches of `rows` rows, the rest zero and never read. */
  const int64_t cache_shape[2] = {rows, s->pairs};
  const size_t x_bytes = (size_t)(rows * args->head_dim) * s->value_size;
  const size_t table_bytes = (size_t)(args->tokens * s->pairs) * s->value_size;
  const size_t cache_bytes = (size_t)(rows * s->pairs) * s->value_size;
  unsigned char* caches = calloc(2, cache_bytes);
  void* inputs[4] = {NULL, NULL, NULL, NULL};
  void* output = NULL;
  int status = RC_ERROR_INTERNAL;
  if (caches == NULL) goto done;
  memcpy(caches, args->cos, table_bytes);
  memcpy(caches + cache_bytes, args->sin, table_bytes);
  if (tensor(args->x, x_bytes, x_shape, 3, s->dtype_onnx, &inputs[0], args->error,
             args->error_size) ||
      tensor(ids, (size_t)rows * sizeof *ids, id_shape, 2, ONNX_INT64, &inputs[1], args->error,
             args->error_size) ||
      tensor(caches, cache_bytes, cache_shape, 2, s->dtype_onnx, &inputs[2], args->error,
             args->error_size) ||
      tensor(caches + cache_bytes, cache_bytes, cache_shape, 2, s->dtype_onnx, &inputs[3],
             args->error, args->error_size))
    goto done;
  const char* const names[4] = {"x", "position_ids", "cos_cache", "sin_cache"};
  const char* const output_names[1] = {"y"};
  if (failed(ORT_FN(RunFn, kRun)(s->session, NULL, names, (const void* const*)inputs, 4,
                                 output_names, 1, &output),
             "Run", args->error, args->error_size))
    goto done;
  void* y = NULL;
  if (failed(ORT_FN(GetTensorMutableDataFn, kGetTensorMutableData)(output, &y),
             "GetTensorMutableData", args->error, args->error_size))
    goto done;
  memcpy(args->y, y, x_bytes);
  status = RC_OK;
done:
  for (int i = 0; i < 4; ++i)
    if (inputs[i] != NULL) ORT_FN(ReleaseFn, kReleaseValue)(inputs[i]);
  if (output != NULL) ORT_FN(ReleaseFn, kReleaseValue)(output);
  free(caches);
  free(ids);
  return status;
}

#define ORT_KERNEL(NAME, INIT)                                                                 \
  {                                                                                            \
    .name = NAME, .description = g_ort.description, .dtypes = RC_DTYPE_F32 | RC_DTYPE_F16,     \
    .layouts = RC_LAYOUT_HALF | RC_LAYOUT_INTERLEAVED, .rope_types = RC_ROPE_ALL,              \
    .angle_mode = RC_ANGLES_COS_SIN_CACHE, .cos_sin_dtype = 0, .max_position = 0,              \
    .bound = "cache:f32", .init = INIT, .teardown = teardown, .supports = NULL, .apply = apply \
  }

static const rc_kernel g_kernels[] = {
    ORT_KERNEL("ort_contrib_rotary", init_contrib),
    ORT_KERNEL("ort_onnx23_rotary", init_onnx23),
};

static const rc_kernel_table g_table = {RC_KERNEL_ABI_VERSION, 2, g_kernels};

RC_EXPORT const rc_kernel_table* ropecheck_kernels(uint32_t abi_version) {
  if (abi_version != RC_KERNEL_ABI_VERSION) return NULL;
  if (!g_ort.tried) {
    ort_load();
    if (!g_ort.loaded)
      snprintf(g_ort.description, sizeof g_ort.description, "ONNX Runtime NOT LOADED: %.1500s",
               g_ort.error);
  }
  return &g_table;
}
