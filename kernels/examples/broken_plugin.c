/* A plugin of deliberately broken RoPE kernels, one bug each, for the docs and the tests of
 * `ropecheck check`: each must be reported under the right name while the run goes on.
 *
 *   segfault          dereferences a null pointer             -> no-crash (SIGSEGV)
 *   hang              never returns                            -> no-hang
 *   nan_far           writes NaN for positions >= 65536        -> finite-outputs
 *   overflow_by_one   writes one value past the end of y       -> in-bounds-writes
 *   overflow_far      runs a whole page past the end of y      -> in-bounds-writes (guard page)
 *   writes_input      scribbles on its input x                 -> inputs-untouched
 *   error_far         returns RC_ERROR_INTERNAL above 2^20     -> no-error-return
 *   flipped           rotates by -angle (sin sign flipped)     -> the accuracy properties
 *
 * Each is otherwise a correct f32 kernel of the default variant, both layouts.
 */
#define _POSIX_C_SOURCE 200809L /* pause() */

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ropecheck_kernel.h"

/* Read through a volatile pointer so the compiler cannot see the null store coming. */
static float* volatile g_nowhere = NULL;

/* The correct computation, with the sine's sign as a parameter. */
static void rotate(const rc_kernel_args* args, double sine_sign) {
  const rc_rope_config* c = args->config;
  const float* x = args->x;
  float* y = args->y;
  const int64_t d = args->head_dim;
  const int pairs = c->rotary_dim / 2;
  for (int64_t t = 0; t < args->tokens; ++t) {
    const double m = (double)args->positions[t];
    for (int64_t h = 0; h < args->heads; ++h) {
      const float* in = x + (t * args->heads + h) * d;
      float* out = y + (t * args->heads + h) * d;
      for (int64_t j = c->rotary_dim; j < d; ++j) out[j] = in[j];
      for (int i = 0; i < pairs; ++i) {
        const int64_t a = c->layout == RC_LAYOUT_INTERLEAVED ? 2 * i : i;
        const int64_t b = c->layout == RC_LAYOUT_INTERLEAVED ? 2 * i + 1 : i + pairs;
        const double angle = m * pow(c->base, -2.0 * i / c->rotary_dim);
        const double cs = c->attention_factor * cos(angle);
        const double sn = sine_sign * c->attention_factor * sin(angle);
        out[a] = (float)(in[a] * cs - in[b] * sn);
        out[b] = (float)(in[a] * sn + in[b] * cs);
      }
    }
  }
}

static int64_t values(const rc_kernel_args* args) {
  return args->tokens * args->heads * args->head_dim;
}

static int segfault_apply(const rc_kernel_args* args) {
  rotate(args, 1);
  *g_nowhere = 1.0f;
  return RC_OK;
}

static int hang_apply(const rc_kernel_args* args) {
  (void)args;
  for (;;) pause(); /* until ropecheck kills the worker */
  return RC_OK;
}

static int nan_far_apply(const rc_kernel_args* args) {
  rotate(args, 1);
  float* y = args->y;
  for (int64_t t = 0; t < args->tokens; ++t)
    if (args->positions[t] >= 65536) y[t * args->heads * args->head_dim] = NAN;
  return RC_OK;
}

static int overflow_by_one_apply(const rc_kernel_args* args) {
  rotate(args, 1);
  float* y = args->y;
  y[values(args)] = 0.0f;
  return RC_OK;
}

static int overflow_far_apply(const rc_kernel_args* args) {
  rotate(args, 1);
  float* y = args->y;
  for (int64_t i = values(args); i < values(args) + 4096; ++i) y[i] = 0.0f;
  return RC_OK;
}

static int writes_input_apply(const rc_kernel_args* args) {
  rotate(args, 1);
  float* x = (float*)args->x; /* casting away const: the bug */
  x[0] = 0.0f;
  return RC_OK;
}

static int error_far_apply(const rc_kernel_args* args) {
  for (int64_t t = 0; t < args->tokens; ++t) {
    if (args->positions[t] > (1 << 20)) {
      snprintf(args->error, args->error_size, "position %lld is past this kernel's table",
               (long long)args->positions[t]);
      return RC_ERROR_INTERNAL;
    }
  }
  rotate(args, 1);
  return RC_OK;
}

static int flipped_apply(const rc_kernel_args* args) {
  rotate(args, -1);
  return RC_OK;
}

#define BROKEN(kernel_name, what, function)                                                \
  {                                                                                        \
    .name = kernel_name, .description = what, .dtypes = RC_DTYPE_F32,                      \
    .layouts = RC_LAYOUT_HALF | RC_LAYOUT_INTERLEAVED,                                     \
    .rope_types = RC_ROPE_BIT(RC_ROPE_DEFAULT), .angle_mode = RC_ANGLES_COMPUTED,          \
    .bound = "f32", .apply = function                                                      \
  }

static const rc_kernel kKernels[] = {
    BROKEN("segfault", "dereferences a null pointer", segfault_apply),
    BROKEN("hang", "never returns", hang_apply),
    BROKEN("nan_far", "NaN for positions >= 65536", nan_far_apply),
    BROKEN("overflow_by_one", "writes one value past y", overflow_by_one_apply),
    BROKEN("overflow_far", "writes a page past y", overflow_far_apply),
    BROKEN("writes_input", "writes into x", writes_input_apply),
    BROKEN("error_far", "fails above position 2^20", error_far_apply),
    BROKEN("flipped", "rotation direction flipped", flipped_apply),
};

static const rc_kernel_table kTable = {RC_KERNEL_ABI_VERSION,
                                       sizeof kKernels / sizeof kKernels[0], kKernels};

RC_EXPORT const rc_kernel_table* ropecheck_kernels(uint32_t abi_version) {
  return abi_version == RC_KERNEL_ABI_VERSION ? &kTable : NULL;
}
