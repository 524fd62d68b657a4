/* The few declarations of ggml's C API the adapter calls, written out here so that nothing of
 * ggml is committed or needed at build time: the functions are looked up with dlsym at run
 * time. Declared from llama.cpp's ggml/include/ggml.h and ggml-cpu.h for ggml 0.25.1 (commit
 * 0ad4a86), the version inside the pinned npm package @node-llama-cpp/linux-x64@3.22.1
 * (ci/ggml.sh); the adapter reports the version it loaded and the ggml test checks it.
 */
#ifndef ROPECHECK_GGML_API_H
#define ROPECHECK_GGML_API_H

#include <stddef.h>
#include <stdint.h>

struct ggml_context;
struct ggml_tensor;
struct ggml_cgraph;

/* ggml.h: struct ggml_init_params, passed by value to ggml_init. */
struct ggml_init_params {
  size_t mem_size;
  void* mem_buffer;
  _Bool no_alloc;
};

/* ggml.h: enum ggml_type (the values used here). */
enum { GGML_TYPE_F32 = 0, GGML_TYPE_F16 = 1, GGML_TYPE_I32 = 26 };

/* ggml.h: rope modes. NORMAL (0) rotates pairs (2i, 2i+1); NEOX rotates (i, i + n_dims/2). */
enum { GGML_ROPE_TYPE_NORMAL = 0, GGML_ROPE_TYPE_NEOX = 2 };

/* ggml.h: enum ggml_status; 0 is success. */
enum { GGML_STATUS_SUCCESS = 0 };

/* The entry points, as function pointer types (libggml-base.so unless noted). */
typedef struct ggml_context* (*ggml_init_fn)(struct ggml_init_params params);
typedef void (*ggml_free_fn)(struct ggml_context* ctx);
typedef size_t (*ggml_tensor_overhead_fn)(void);
typedef size_t (*ggml_graph_overhead_fn)(void);
typedef struct ggml_tensor* (*ggml_new_tensor_1d_fn)(struct ggml_context* ctx, int type,
                                                     int64_t ne0);
typedef struct ggml_tensor* (*ggml_new_tensor_3d_fn)(struct ggml_context* ctx, int type,
                                                     int64_t ne0, int64_t ne1, int64_t ne2);
typedef void* (*ggml_get_data_fn)(const struct ggml_tensor* tensor);
/* a: [ne0 = head_dim, ne1 = heads, ne2 = tokens]; b: int32 positions [tokens]; c: optional f32
 * frequency factors [n_dims/2] dividing theta_i; returns the rotated tensor. */
typedef struct ggml_tensor* (*ggml_rope_ext_fn)(struct ggml_context* ctx, struct ggml_tensor* a,
                                                struct ggml_tensor* b, struct ggml_tensor* c,
                                                int n_dims, int mode, int n_ctx_orig,
                                                float freq_base, float freq_scale,
                                                float ext_factor, float attn_factor,
                                                float beta_fast, float beta_slow);
typedef struct ggml_cgraph* (*ggml_new_graph_fn)(struct ggml_context* ctx);
typedef void (*ggml_build_forward_expand_fn)(struct ggml_cgraph* graph, struct ggml_tensor* t);
typedef const char* (*ggml_version_fn)(void);
typedef const char* (*ggml_commit_fn)(void);
/* libggml-cpu-*.so */
typedef void (*ggml_cpu_init_fn)(void);
typedef int (*ggml_graph_compute_with_ctx_fn)(struct ggml_context* ctx,
                                              struct ggml_cgraph* graph, int n_threads);
typedef int (*ggml_backend_score_fn)(void);

/* Every entry point, resolved. */
typedef struct ggml_api {
  ggml_init_fn init;
  ggml_free_fn free;
  ggml_tensor_overhead_fn tensor_overhead;
  ggml_graph_overhead_fn graph_overhead;
  ggml_new_tensor_1d_fn new_tensor_1d;
  ggml_new_tensor_3d_fn new_tensor_3d;
  ggml_get_data_fn get_data;
  ggml_rope_ext_fn rope_ext;
  ggml_new_graph_fn new_graph;
  ggml_build_forward_expand_fn build_forward_expand;
  ggml_version_fn version;
  ggml_commit_fn commit;
  ggml_cpu_init_fn cpu_init;
  ggml_graph_compute_with_ctx_fn graph_compute_with_ctx;
} ggml_api;

#endif /* ROPECHECK_GGML_API_H */
