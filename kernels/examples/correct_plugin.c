/* A correct RoPE kernel plugin: what spec/kernel-abi.md describes, in plain C99.
 *
 * Kernels:
 *   correct_f32         f32 in and out, both layouts; computes its own angles for the default,
 *                       linear, ntk, yarn, llama3 and longrope variants. Frequencies, angle,
 *                       cos/sin and rotation are done in double and rounded once to f32, which
 *                       is far inside the "f32" pipeline's bound it claims.
 *   correct_cached_f32  f32, takes ropecheck's correctly rounded cos/sin tables; rotates in f32.
 *   correct_cached_bf16 bf16 in and out (uint16_t bit patterns), f32 tables, f32 arithmetic,
 *                       one rounding to bf16; claims the "bf16-cache" pipeline's bound.
 *
 * Build: cc -std=c99 -O2 -fPIC -shared -I kernels/abi correct_plugin.c -o correct_plugin.so -lm
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ropecheck_kernel.h"

static const double kPi = 3.14159265358979323846;

/* theta'_i of every rotated pair (spec/rope.md section 9), computed in double. */
typedef struct {
  int pairs;
  double theta[];
} frequencies;

static double clamp01(double v) { return v < 0 ? 0 : v > 1 ? 1 : v; }

/* YaRN's correction dim: the pair index that turns `beta` times over the context L0. */
static double yarn_corr_dim(double d, double l0, double beta, double base) {
  return d * log(l0 / (2 * kPi * beta)) / (2 * log(base));
}

static double scaled_theta(const rc_rope_config* c, int i) {
  const double d = c->rotary_dim, s = c->factor;
  const double theta = pow(c->base, -2.0 * i / d);
  switch (c->rope_type) {
    case RC_ROPE_LINEAR: return theta / s;
    case RC_ROPE_NTK: return pow(c->base * pow(s, d / (d - 2)), -2.0 * i / d);
    case RC_ROPE_YARN: {
      const double l0 = (double)c->original_max_position_embeddings;
      double low = yarn_corr_dim(d, l0, c->beta_fast, c->base);
      double high = yarn_corr_dim(d, l0, c->beta_slow, c->base);
      if (c->truncate) {
        low = floor(low);
        high = ceil(high);
      }
      if (low < 0) low = 0;
      if (high > d - 1) high = d - 1;
      if (low == high) high += 0.001;
      const double r = clamp01((i - low) / (high - low));
      return (theta / s) * r + theta * (1 - r);
    }
    case RC_ROPE_LLAMA3: {
      const double l0 = (double)c->original_max_position_embeddings;
      const double wavelength = 2 * kPi / theta;
      const double alpha = c->low_freq_factor, beta = c->high_freq_factor;
      if (wavelength < l0 / beta) return theta;
      if (wavelength > l0 / alpha) return theta / s;
      const double gamma = (l0 / wavelength - alpha) / (beta - alpha);
      return (1 - gamma) * theta / s + gamma * theta;
    }
    case RC_ROPE_LONGROPE: {
      const double* lambda = c->seq_len > c->original_max_position_embeddings ? c->long_factor
                                                                               : c->short_factor;
      return theta / lambda[i];
    }
    default: return theta;
  }
}

static int computed_init(const rc_rope_config* config, uint32_t dtype, void** state, char* error,
                         size_t error_size) {
  (void)dtype;
  const int pairs = config->rotary_dim / 2;
  if (config->rope_type == RC_ROPE_LONGROPE &&
      (config->short_factor_count != pairs || config->long_factor_count != pairs)) {
    snprintf(error, error_size, "longrope needs %d short and long factors", pairs);
    return RC_ERROR_INVALID;
  }
  frequencies* f = malloc(sizeof *f + (size_t)pairs * sizeof(double));
  if (f == NULL) {
    snprintf(error, error_size, "out of memory");
    return RC_ERROR_INTERNAL;
  }
  f->pairs = pairs;
  for (int i = 0; i < pairs; ++i) f->theta[i] = scaled_theta(config, i);
  *state = f;
  return RC_OK;
}

static void computed_teardown(void* state) { free(state); }

/* Channel indices of pair i (spec/rope.md section 5). */
static void pair_channels(const rc_rope_config* c, int i, int64_t* a, int64_t* b) {
  if (c->layout == RC_LAYOUT_INTERLEAVED) {
    *a = 2 * i;
    *b = 2 * i + 1;
  } else {
    *a = i;
    *b = i + c->rotary_dim / 2;
  }
}

static int computed_apply(const rc_kernel_args* args) {
  const rc_rope_config* c = args->config;
  const frequencies* f = args->state;
  const float* x = args->x;
  float* y = args->y;
  const int64_t d = args->head_dim;
  for (int64_t t = 0; t < args->tokens; ++t) {
    const double m = (double)args->positions[t];
    for (int64_t h = 0; h < args->heads; ++h) {
      const float* in = x + (t * args->heads + h) * d;
      float* out = y + (t * args->heads + h) * d;
      for (int64_t j = c->rotary_dim; j < d; ++j) out[j] = in[j];
      for (int i = 0; i < f->pairs; ++i) {
        int64_t a, b;
        pair_channels(c, i, &a, &b);
        const double angle = m * f->theta[i];
        const double cs = c->attention_factor * cos(angle), sn = c->attention_factor * sin(angle);
        out[a] = (float)(in[a] * cs - in[b] * sn);
        out[b] = (float)(in[a] * sn + in[b] * cs);
      }
    }
  }
  return RC_OK;
}

static int cached_f32_apply(const rc_kernel_args* args) {
  const rc_rope_config* c = args->config;
  const float* x = args->x;
  const float* cos_table = args->cos;
  const float* sin_table = args->sin;
  float* y = args->y;
  const int64_t d = args->head_dim;
  for (int64_t t = 0; t < args->tokens; ++t) {
    for (int64_t h = 0; h < args->heads; ++h) {
      const float* in = x + (t * args->heads + h) * d;
      float* out = y + (t * args->heads + h) * d;
      for (int64_t j = c->rotary_dim; j < d; ++j) out[j] = in[j];
      for (int i = 0; i < args->cos_sin_pairs; ++i) {
        int64_t a, b;
        pair_channels(c, i, &a, &b);
        const float cs = cos_table[t * args->cos_sin_pairs + i];
        const float sn = sin_table[t * args->cos_sin_pairs + i];
        out[a] = in[a] * cs - in[b] * sn;
        out[b] = in[a] * sn + in[b] * cs;
      }
    }
  }
  return RC_OK;
}

/* bfloat16 <-> float, rounding to nearest even. */
static float bf16_to_float(uint16_t bits) {
  const uint32_t wide = (uint32_t)bits << 16;
  float f;
  memcpy(&f, &wide, sizeof f);
  return f;
}

static uint16_t float_to_bf16(float f) {
  uint32_t bits;
  memcpy(&bits, &f, sizeof bits);
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((bits >> 16) | 0x40u); /* quiet NaN */
  bits += 0x7FFFu + ((bits >> 16) & 1u);
  return (uint16_t)(bits >> 16);
}

static int cached_bf16_apply(const rc_kernel_args* args) {
  const rc_rope_config* c = args->config;
  const uint16_t* x = args->x;
  const float* cos_table = args->cos;
  const float* sin_table = args->sin;
  uint16_t* y = args->y;
  const int64_t d = args->head_dim;
  for (int64_t t = 0; t < args->tokens; ++t) {
    for (int64_t h = 0; h < args->heads; ++h) {
      const uint16_t* in = x + (t * args->heads + h) * d;
      uint16_t* out = y + (t * args->heads + h) * d;
      for (int64_t j = c->rotary_dim; j < d; ++j) out[j] = in[j];
      for (int i = 0; i < args->cos_sin_pairs; ++i) {
        int64_t a, b;
        pair_channels(c, i, &a, &b);
        const float cs = cos_table[t * args->cos_sin_pairs + i];
        const float sn = sin_table[t * args->cos_sin_pairs + i];
        const float xa = bf16_to_float(in[a]), xb = bf16_to_float(in[b]);
        out[a] = float_to_bf16(xa * cs - xb * sn);
        out[b] = float_to_bf16(xa * sn + xb * cs);
      }
    }
  }
  return RC_OK;
}

static const rc_kernel kKernels[] = {
    {.name = "correct_f32",
     .description = "f32, angles in double, both layouts",
     .dtypes = RC_DTYPE_F32,
     .layouts = RC_LAYOUT_HALF | RC_LAYOUT_INTERLEAVED,
     .rope_types = RC_ROPE_BIT(RC_ROPE_DEFAULT) | RC_ROPE_BIT(RC_ROPE_LINEAR) |
                   RC_ROPE_BIT(RC_ROPE_NTK) | RC_ROPE_BIT(RC_ROPE_YARN) |
                   RC_ROPE_BIT(RC_ROPE_LLAMA3) | RC_ROPE_BIT(RC_ROPE_LONGROPE),
     .angle_mode = RC_ANGLES_COMPUTED,
     .bound = "f32",
     .init = computed_init,
     .teardown = computed_teardown,
     .apply = computed_apply},
    {.name = "correct_cached_f32",
     .description = "f32, ropecheck's cos/sin tables, f32 rotation",
     .dtypes = RC_DTYPE_F32,
     .layouts = RC_LAYOUT_HALF | RC_LAYOUT_INTERLEAVED,
     .rope_types = RC_ROPE_ALL,
     .angle_mode = RC_ANGLES_COS_SIN_CACHE,
     .bound = "f32",
     .apply = cached_f32_apply},
    {.name = "correct_cached_bf16",
     .description = "bf16 storage, f32 cos/sin tables and arithmetic",
     .dtypes = RC_DTYPE_BF16,
     .layouts = RC_LAYOUT_HALF | RC_LAYOUT_INTERLEAVED,
     .rope_types = RC_ROPE_ALL,
     .angle_mode = RC_ANGLES_COS_SIN_CACHE,
     .cos_sin_dtype = RC_DTYPE_F32,
     .bound = "bf16-cache",
     .apply = cached_bf16_apply},
};

static const rc_kernel_table kTable = {RC_KERNEL_ABI_VERSION,
                                       sizeof kKernels / sizeof kKernels[0], kKernels};

RC_EXPORT const rc_kernel_table* ropecheck_kernels(uint32_t abi_version) {
  return abi_version == RC_KERNEL_ABI_VERSION ? &kTable : NULL;
}
