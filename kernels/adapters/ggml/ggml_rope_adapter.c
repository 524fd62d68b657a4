/* A ropecheck plugin around llama.cpp's ggml CPU RoPE (ggml_rope_ext), loaded at run time from
 * the npm package @node-llama-cpp/linux-x64 (ci/ggml.sh installs the pinned version).
 *
 * One kernel, "ggml_rope_ext": f32, NORMAL mode for the interleaved layout and NEOX mode for
 * the half layout, one ggml graph per call on one thread. The configuration maps onto ggml's
 * parameters the way llama.cpp's model loader sets them:
 *   default   freq_base = b
 *   linear    freq_scale = 1/s
 *   ntk       freq_base = b * s^(d/(d-2))
 *   yarn      freq_scale = 1/s, ext_factor = 1, beta_fast/slow, n_ctx_orig = L0, and
 *             attn_factor = a / (1 + 0.1 ln s), since ggml multiplies its own YaRN factor in
 *             (spec/rope.md 9.5); ggml always floors/ceils the correction dims, so
 *             truncate = false is reported unsupported
 *   llama3    per-pair frequency factors theta_i / theta'_i (what llama.cpp's converter stores)
 *   longrope  per-pair frequency factors: the long list when seq_len > L0, else the short one
 * It claims the "f32" pipeline's bound: what a user expects of an f32 kernel. ggml forms the
 * angle from an f32 position times an f32 running product theta *= base^(-2/d), so it leaves
 * that bound at large positions; `--bound ggml-f32` holds it to its own error model instead.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ggml_loader.h"
#include "ropecheck_kernel.h"

#ifndef ROPECHECK_GGML_DEFAULT_DIR
#define ROPECHECK_GGML_DEFAULT_DIR ""
#endif

static const double kPi = 3.14159265358979323846;

static ggml_runtime g_runtime;
static int g_loaded_once = 0;
static char g_description[8192];

/* ggml's parameters for one configuration. */
typedef struct {
  int mode, n_dims, n_ctx_orig;
  float freq_base, freq_scale, ext_factor, attn_factor, beta_fast, beta_slow;
  int pairs;
  float* freq_factors; /* [pairs] or NULL */
} rope_params;

static double llama3_theta(const rc_rope_config* c, double theta) {
  const double l0 = (double)c->original_max_position_embeddings, s = c->factor;
  const double wavelength = 2 * kPi / theta;
  const double alpha = c->low_freq_factor, beta = c->high_freq_factor;
  if (wavelength < l0 / beta) return theta;
  if (wavelength > l0 / alpha) return theta / s;
  const double gamma = (l0 / wavelength - alpha) / (beta - alpha);
  return (1 - gamma) * theta / s + gamma * theta;
}

static int adapter_supports(const rc_rope_config* c, uint32_t dtype) {
  (void)dtype;
  /* ggml's YaRN always truncates the correction dims. */
  return !(c->rope_type == RC_ROPE_YARN && !c->truncate);
}

static int adapter_init(const rc_rope_config* c, uint32_t dtype, void** state, char* error,
                        size_t error_size) {
  (void)dtype;
  if (!g_runtime.loaded) {
    snprintf(error, error_size, "%s", g_runtime.error);
    return RC_ERROR_INTERNAL;
  }
  if (!adapter_supports(c, dtype)) {
    snprintf(error, error_size, "ggml's YaRN cannot keep fractional correction dims");
    return RC_ERROR_UNSUPPORTED;
  }
  rope_params* p = calloc(1, sizeof *p);
  if (p == NULL) return RC_ERROR_INTERNAL;
  const double d = c->rotary_dim, s = c->factor;
  p->mode = c->layout == RC_LAYOUT_INTERLEAVED ? GGML_ROPE_TYPE_NORMAL : GGML_ROPE_TYPE_NEOX;
  p->n_dims = c->rotary_dim;
  p->pairs = c->rotary_dim / 2;
  p->n_ctx_orig = (int)c->original_max_position_embeddings;
  p->freq_base = (float)c->base;
  p->freq_scale = 1.0f;
  p->ext_factor = 0.0f;
  p->attn_factor = (float)c->attention_factor;
  p->beta_fast = (float)c->beta_fast;
  p->beta_slow = (float)c->beta_slow;
  switch (c->rope_type) {
    case RC_ROPE_LINEAR: p->freq_scale = (float)(1.0 / s); break;
    case RC_ROPE_NTK: p->freq_base = (float)(c->base * pow(s, d / (d - 2))); break;
    case RC_ROPE_YARN:
      p->freq_scale = (float)(1.0 / s);
      p->ext_factor = 1.0f;
      p->attn_factor =
          (float)(c->attention_factor / (1.0f + 0.1f * logf(1.0f / p->freq_scale)));
      break;
    case RC_ROPE_LLAMA3:
    case RC_ROPE_LONGROPE: {
      p->freq_factors = malloc((size_t)p->pairs * sizeof(float));
      if (p->freq_factors == NULL) {
        free(p);
        return RC_ERROR_INTERNAL;
      }
      const double* lambda = c->seq_len > c->original_max_position_embeddings ? c->long_factor
                                                                               : c->short_factor;
      for (int i = 0; i < p->pairs; ++i) {
        const double theta = pow(c->base, -2.0 * i / d);
        p->freq_factors[i] = c->rope_type == RC_ROPE_LLAMA3
                                 ? (float)(theta / llama3_theta(c, theta))
                                 : (float)lambda[i];
      }
      break;
    }
    default: break;
  }
  *state = p;
  return RC_OK;
}

static void adapter_teardown(void* state) {
  rope_params* p = state;
  if (p == NULL) return;
  free(p->freq_factors);
  free(p);
}

static int adapter_apply(const rc_kernel_args* args) {
  const rope_params* p = args->state;
  const ggml_api* g = &g_runtime.api;
  for (int64_t t = 0; t < args->tokens; ++t) {
    if (args->positions[t] > INT_MAX || args->positions[t] < INT_MIN) {
      snprintf(args->error, args->error_size, "ggml positions are int32; got %lld",
               (long long)args->positions[t]);
      return RC_ERROR_INVALID;
    }
  }
  const size_t values = (size_t)(args->tokens * args->heads * args->head_dim);
  const size_t work = ((size_t)args->head_dim + 64) * sizeof(float);
  struct ggml_init_params init = {
      4 * g->tensor_overhead() + g->graph_overhead() + 2 * values * sizeof(float) +
          (size_t)args->tokens * sizeof(int32_t) + (size_t)p->pairs * sizeof(float) + work +
          (1u << 20),
      NULL, 0};
  struct ggml_context* ctx = g->init(init);
  if (ctx == NULL) {
    snprintf(args->error, args->error_size, "ggml_init failed");
    return RC_ERROR_INTERNAL;
  }
  struct ggml_tensor* x = g->new_tensor_3d(ctx, GGML_TYPE_F32, args->head_dim, args->heads,
                                           args->tokens);
  memcpy(g->get_data(x), args->x, values * sizeof(float));
  struct ggml_tensor* pos = g->new_tensor_1d(ctx, GGML_TYPE_I32, args->tokens);
  int32_t* pos_data = g->get_data(pos);
  for (int64_t t = 0; t < args->tokens; ++t) pos_data[t] = (int32_t)args->positions[t];
  struct ggml_tensor* factors = NULL;
  if (p->freq_factors != NULL) {
    factors = g->new_tensor_1d(ctx, GGML_TYPE_F32, p->pairs);
    memcpy(g->get_data(factors), p->freq_factors, (size_t)p->pairs * sizeof(float));
  }
  struct ggml_tensor* y = g->rope_ext(ctx, x, pos, factors, p->n_dims, p->mode, p->n_ctx_orig,
                                      p->freq_base, p->freq_scale, p->ext_factor, p->attn_factor,
                                      p->beta_fast, p->beta_slow);
  struct ggml_cgraph* graph = g->new_graph(ctx);
  g->build_forward_expand(graph, y);
  const int status = g->graph_compute_with_ctx(ctx, graph, 1);
  if (status != GGML_STATUS_SUCCESS) {
    snprintf(args->error, args->error_size, "ggml_graph_compute_with_ctx returned %d", status);
    g->free(ctx);
    return RC_ERROR_INTERNAL;
  }
  memcpy(args->y, g->get_data(y), values * sizeof(float));
  g->free(ctx);
  return RC_OK;
}

static const rc_kernel g_kernels[] = {
    {.name = "ggml_rope_ext",
     .description = g_description,
     .dtypes = RC_DTYPE_F32,
     .layouts = RC_LAYOUT_HALF | RC_LAYOUT_INTERLEAVED,
     .rope_types = RC_ROPE_BIT(RC_ROPE_DEFAULT) | RC_ROPE_BIT(RC_ROPE_LINEAR) |
                   RC_ROPE_BIT(RC_ROPE_NTK) | RC_ROPE_BIT(RC_ROPE_YARN) |
                   RC_ROPE_BIT(RC_ROPE_LLAMA3) | RC_ROPE_BIT(RC_ROPE_LONGROPE),
     .angle_mode = RC_ANGLES_COMPUTED,
     .max_position = INT_MAX, /* ggml positions are int32 */
     .bound = "f32",
     .init = adapter_init,
     .teardown = adapter_teardown,
     .supports = adapter_supports,
     .apply = adapter_apply},
};

static const rc_kernel_table g_table = {RC_KERNEL_ABI_VERSION, 1, g_kernels};

RC_EXPORT const rc_kernel_table* ropecheck_kernels(uint32_t abi_version) {
  if (abi_version != RC_KERNEL_ABI_VERSION) return NULL;
  /* Load ggml here, in ropecheck's own process: the worker processes it forks then inherit
   * the libraries and never run the dynamic loader themselves. */
  if (!g_loaded_once) {
    g_loaded_once = 1;
    ggml_runtime_load(&g_runtime, ROPECHECK_GGML_DEFAULT_DIR);
    if (g_runtime.loaded)
      snprintf(g_description, sizeof g_description,
               "llama.cpp ggml_rope_ext, ggml %s (%s), %s/%s", g_runtime.api.version(),
               g_runtime.api.commit(), g_runtime.directory, g_runtime.cpu_library);
    else
      snprintf(g_description, sizeof g_description, "ggml NOT LOADED: %s", g_runtime.error);
  }
  return &g_table;
}
