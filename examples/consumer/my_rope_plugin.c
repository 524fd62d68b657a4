/* The example project's kernel behind ropecheck's C ABI (spec/kernel-abi.md). */
#include <math.h>
#include <stddef.h>

#include "ropecheck_kernel.h"

static int apply(const rc_kernel_args* args) {
  const rc_rope_config* c = args->config;
  const float* x = args->x;
  float* y = args->y;
  const int64_t d = args->head_dim, half = c->rotary_dim / 2;
  const double scale = c->rope_type == RC_ROPE_LINEAR ? 1.0 / c->factor : 1.0;
  for (int64_t row = 0; row < args->tokens * args->heads; ++row) {
    const double m = (double)args->positions[row / args->heads];
    const float* in = x + row * d;
    float* out = y + row * d;
    for (int64_t j = c->rotary_dim; j < d; ++j) out[j] = in[j];
    for (int64_t i = 0; i < half; ++i) {
      const int64_t a = c->layout == RC_LAYOUT_INTERLEAVED ? 2 * i : i;
      const int64_t b = c->layout == RC_LAYOUT_INTERLEAVED ? 2 * i + 1 : i + half;
      const double angle = m * scale * pow(c->base, -2.0 * (double)i / c->rotary_dim);
      const double cs = c->attention_factor * cos(angle), sn = c->attention_factor * sin(angle);
      out[a] = (float)(in[a] * cs - in[b] * sn);
      out[b] = (float)(in[a] * sn + in[b] * cs);
    }
  }
  return RC_OK;
}

static const rc_kernel kernels[] = {{.name = "my_rope_f32",
                                     .dtypes = RC_DTYPE_F32,
                                     .layouts = RC_LAYOUT_HALF | RC_LAYOUT_INTERLEAVED,
                                     .rope_types = RC_ROPE_BIT(RC_ROPE_DEFAULT) |
                                                   RC_ROPE_BIT(RC_ROPE_LINEAR),
                                     .angle_mode = RC_ANGLES_COMPUTED,
                                     .bound = "f32",
                                     .apply = apply}};

static const rc_kernel_table table = {RC_KERNEL_ABI_VERSION, 1, kernels};

RC_EXPORT const rc_kernel_table* ropecheck_kernels(uint32_t abi_version) {
  return abi_version == RC_KERNEL_ABI_VERSION ? &table : NULL;
}
