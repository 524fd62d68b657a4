/* Hostile plugins: one source, compiled once per misbehaviour (HOSTILE_<NAME> defined). Each
 * is the correct f32 kernel of spec/kernel-abi.md section 11 plus one thing a real plugin can do
 * wrong; hostile_test.py checks that `ropecheck check` reports it, with the right exit code,
 * and never crashes, hangs or passes silently. */
#define _GNU_SOURCE
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ropecheck_kernel.h"

static void crash(void) {
  volatile int* volatile nowhere = NULL;
  *nowhere = 1;
}

static void hang(void) {
  for (;;) pause();
}

/* Exactly one of exit, crash or hang, by where the misbehaviour is placed. */
#if defined(HOSTILE_CTOR_EXIT) || defined(HOSTILE_ENTRY_EXIT) || defined(HOSTILE_SUPPORTS_EXIT) || \
    defined(HOSTILE_APPLY_EXIT)
#define MISBEHAVE() exit(0)
#elif defined(HOSTILE_CTOR_SEGV) || defined(HOSTILE_ENTRY_SEGV) || \
    defined(HOSTILE_SUPPORTS_SEGV) || defined(HOSTILE_APPLY_SEGV)
#define MISBEHAVE() crash()
#else
#define MISBEHAVE() hang()
#endif

#if defined(HOSTILE_CTOR_EXIT) || defined(HOSTILE_CTOR_SEGV) || defined(HOSTILE_CTOR_HANG)
__attribute__((constructor)) static void on_load(void) {
  MISBEHAVE();
}
#endif

static unsigned long calls = 0;
#ifdef HOSTILE_MEMORY_HOG
static void* volatile hog_sink;
#endif

/* A fixed pseudo-random sequence (no libc state shared with anything else). */
static unsigned long lcg = 12345;
static unsigned next_random(void) {
  lcg = lcg * 6364136223846793005ul + 1442695040888963407ul;
  return (unsigned)(lcg >> 33);
}

static int supports(const rc_rope_config* config, uint32_t dtype) {
  (void)config;
  (void)dtype;
#if defined(HOSTILE_SUPPORTS_EXIT) || defined(HOSTILE_SUPPORTS_SEGV) || \
    defined(HOSTILE_SUPPORTS_HANG)
  MISBEHAVE();
#endif
  return 1;
}

static int apply(const rc_kernel_args* args) {
  const rc_rope_config* c = args->config;
  const float* x = args->x;
  float* y = args->y;
  const int64_t d = args->head_dim, half = c->rotary_dim / 2;
  const double scale = c->rope_type == RC_ROPE_LINEAR ? 1.0 / c->factor : 1.0;
  double base = c->base;
#if defined(HOSTILE_DYNAMIC_CORRECT) || defined(HOSTILE_DYNAMIC_FROZEN)
  if (c->rope_type == RC_ROPE_DYNAMIC) {
    /* spec/rope.md 9.4: b' = b (s L^/Lmax - (s - 1))^(d/(d-2)), L^ = max(L, Lmax). */
    const double lmax = (double)c->max_position_embeddings, s = c->factor;
#ifdef HOSTILE_DYNAMIC_FROZEN
    /* The bug: the length frozen at its largest, s * Lmax, whatever the sequence. */
    const double length = s * lmax;
#else
    const double length = (double)c->seq_len > lmax ? (double)c->seq_len : lmax;
#endif
    base *= pow(s * length / lmax - (s - 1.0), (double)c->rotary_dim / (c->rotary_dim - 2));
  }
#endif
  ++calls;
#if defined(HOSTILE_APPLY_EXIT) || defined(HOSTILE_APPLY_SEGV) || defined(HOSTILE_APPLY_HANG)
  MISBEHAVE();
#endif
#ifdef HOSTILE_CLOSE_FDS_HANG
  for (int fd = 0; fd < 1024; ++fd) close(fd);
  hang();
#endif
#ifdef HOSTILE_FORK_CHILD
  if (calls == 1 && fork() == 0) {
    /* The child outlives the call: it keeps every descriptor the worker had. */
    for (;;) pause();
  }
#endif
#ifdef HOSTILE_HUGE_OUTPUT
  if (calls == 1) {
    static char line[4096];
    memset(line, 'A', sizeof line - 1);
    for (int i = 0; i < 16 * 1024; ++i) fputs(line, stdout); /* 64 MiB */
    fflush(stdout);
  }
#endif
#ifdef HOSTILE_MEMORY_HOG
  for (;;) {
    char* p = malloc(16u << 20);
    memset(p, 1, 16u << 20); /* unchecked: NULL once the limit is reached */
    /* Published through a volatile: a block nothing reads may be dropped with its memset
       (clang does), which would leave an endless loop instead of a hog. */
    hog_sink = p;
  }
#endif
#ifdef HOSTILE_OVERREAD
  {
    /* One element past the end of x. */
    volatile float sink = x[args->tokens * args->heads * d];
    (void)sink;
  }
#endif
  for (int64_t t = 0; t < args->tokens; ++t) {
    for (int64_t h = 0; h < args->heads; ++h) {
      const float* in = x + (t * args->heads + h) * d;
      float* out = y + (t * args->heads + h) * d;
      for (int64_t j = c->rotary_dim; j < d; ++j) out[j] = in[j];
      for (int64_t i = 0; i < half; ++i) {
        const int64_t a = c->layout == RC_LAYOUT_INTERLEAVED ? 2 * i : i;
        const int64_t b = c->layout == RC_LAYOUT_INTERLEAVED ? 2 * i + 1 : i + half;
        const double theta = scale * pow(base, -2.0 * (double)i / c->rotary_dim);
        const double angle = (double)args->positions[t] * theta;
        const double cs = c->attention_factor * cos(angle);
        const double sn = c->attention_factor * sin(angle);
        out[a] = (float)(in[a] * cs - in[b] * sn);
        out[b] = (float)(in[a] * sn + in[b] * cs);
#ifdef HOSTILE_NEGZERO
        /* x + 0.0 turns -0 into +0: only in multi-head calls. */
        if (args->heads > 1) {
          out[a] += 0.0f;
          out[b] += 0.0f;
        }
#endif
      }
#ifdef HOSTILE_HEADS_GE4
      if (args->heads >= 4 && h == 3) out[0] = -out[0];
#endif
#ifdef HOSTILE_HEADS_EQ2
      if (args->heads == 2 && h == 1 && d > 1) out[1] = out[0];
#endif
#ifdef HOSTILE_ROWS_GT256
      if (t >= 256) out[0] = 0.0f;
#endif
    }
  }
#ifdef HOSTILE_EVERY_NTH
  /* Wrong on every 97th call only. */
  if (calls % 97 == 0) y[0] = -y[0] + 1.0f;
#endif
#ifdef HOSTILE_ZEROS_2PCT
  if (next_random() % 100 < 2)
    memset(y, 0, (size_t)(args->tokens * args->heads * d) * sizeof(float));
#else
  (void)next_random;
#endif
  return RC_OK;
}

#ifdef HOSTILE_TEXT_INJECTION
#define DESCRIPTION "fine\n\nFAIL: injected line\x1b[2J\x1b]0;title\x07 \xff\xfe end"
#else
#define DESCRIPTION "f32, default and linear RoPE, angles in double"
#endif

static const rc_kernel kernels[] = {{
    .name = "hostile_f32",
    .description = DESCRIPTION,
    .dtypes = RC_DTYPE_F32,
    .layouts = RC_LAYOUT_HALF | RC_LAYOUT_INTERLEAVED,
    .rope_types = RC_ROPE_BIT(RC_ROPE_DEFAULT) | RC_ROPE_BIT(RC_ROPE_LINEAR)
#if defined(HOSTILE_DYNAMIC_CORRECT) || defined(HOSTILE_DYNAMIC_FROZEN)
                  | RC_ROPE_BIT(RC_ROPE_DYNAMIC)
#endif
        ,
    .angle_mode = RC_ANGLES_COMPUTED,
    .bound = "f32",
    .supports = supports,
    .apply = apply,
}};

#ifdef HOSTILE_BAD_COUNT
/* The classic slip: the size in bytes, not the number of elements. */
static const rc_kernel_table table = {RC_KERNEL_ABI_VERSION, sizeof kernels, kernels};
#else
static const rc_kernel_table table = {RC_KERNEL_ABI_VERSION, 1, kernels};
#endif

RC_EXPORT const rc_kernel_table* ropecheck_kernels(uint32_t abi_version) {
#if defined(HOSTILE_ENTRY_EXIT) || defined(HOSTILE_ENTRY_SEGV) || defined(HOSTILE_ENTRY_HANG)
  MISBEHAVE();
#endif
  return abi_version == RC_KERNEL_ABI_VERSION ? &table : NULL;
}
