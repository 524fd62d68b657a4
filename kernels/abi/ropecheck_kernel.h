/* ropecheck kernel ABI: how a shared library offers RoPE kernels to `ropecheck check`.
 *
 * C99, no C++ required. The normative description of every field is spec/kernel-abi.md; this
 * header is self-contained so a plugin author can copy it alone. A plugin exports one function,
 * ropecheck_kernels(), returning a table of kernels. ropecheck itself never loads the library: a
 * worker process (ropecheck-kernel-worker) does dlopen and every call, so a crash, exit, hang or
 * wild access anywhere in the plugin is a finding, not fatal; outputs are compared with a
 * correctly rounded reference.
 */
#ifndef ROPECHECK_KERNEL_H
#define ROPECHECK_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this header. ropecheck passes it to ropecheck_kernels(); a plugin returns a
 * table whose abi_version equals it, or NULL if it cannot serve that version. Any change to a
 * struct layout or a meaning below increments it. */
#define RC_KERNEL_ABI_VERSION 1u

/* The symbol ropecheck looks up with dlsym. */
#define RC_KERNEL_ENTRY_SYMBOL "ropecheck_kernels"

/* Storage formats, as bits (a kernel's `dtypes` is a mask; a call's `dtype` is one bit).
 * F64/F32 are IEEE binary64/binary32 in native byte order; BF16 and F16 are passed as uint16_t
 * bit patterns (bfloat16: the top 16 bits of a binary32; F16: IEEE binary16). */
#define RC_DTYPE_F64 0x1u
#define RC_DTYPE_F32 0x2u
#define RC_DTYPE_BF16 0x4u
#define RC_DTYPE_F16 0x8u

/* Channel layouts, as bits. HALF pairs channel i with i + rotary_dim/2 (GPT-NeoX, Hugging Face
 * rotate_half, ggml NEOX); INTERLEAVED pairs 2i with 2i+1 (GPT-J, Meta, ggml NORMAL). */
#define RC_LAYOUT_HALF 0x1u
#define RC_LAYOUT_INTERLEAVED 0x2u

/* Frequency-scaling variants (spec/rope.md section 9). A kernel's `rope_types` is a mask of
 * RC_ROPE_BIT(type). */
#define RC_ROPE_DEFAULT 0u
#define RC_ROPE_LINEAR 1u
#define RC_ROPE_NTK 2u
#define RC_ROPE_DYNAMIC 3u
#define RC_ROPE_YARN 4u
#define RC_ROPE_LLAMA3 5u
#define RC_ROPE_LONGROPE 6u
#define RC_ROPE_PROPORTIONAL 7u
#define RC_ROPE_BIT(type) (1u << (type))
#define RC_ROPE_ALL 0xFFu

/* Where a kernel's angles come from. */
#define RC_ANGLES_COMPUTED 1u   /* the kernel computes theta, angle, cos and sin from the config */
#define RC_ANGLES_COS_SIN_CACHE 2u /* ropecheck passes per-token, per-pair a*cos and a*sin tables */

/* Return codes of init and apply. Any non-zero code is reported as a failure of the kernel. */
#define RC_OK 0
#define RC_ERROR_UNSUPPORTED 1 /* the kernel cannot run this configuration or dtype */
#define RC_ERROR_INVALID 2     /* the arguments are inconsistent */
#define RC_ERROR_INTERNAL 3    /* anything else */

/* One RoPE configuration, resolved: every default filled in and the attention factor derived,
 * so a kernel needs no config parsing. Valid for the duration of the call it is passed to. */
typedef struct rc_rope_config {
  uint32_t struct_size;   /* sizeof(rc_rope_config) as ropecheck was built */
  int32_t head_dim;       /* D: channels per head */
  int32_t rotary_dim;     /* d <= D, even: channels that rotate; channels >= d pass through */
  uint32_t layout;        /* RC_LAYOUT_HALF or RC_LAYOUT_INTERLEAVED */
  double base;            /* b (rope_theta): theta_i = b^(-2i/d) */
  uint32_t rope_type;     /* RC_ROPE_* */
  int32_t truncate;       /* yarn: 1 floors/ceils the correction dims (default), 0 keeps them */
  double factor;          /* s; 1 when the variant has none */
  int64_t original_max_position_embeddings; /* L0 (falls back to max_position_embeddings); 0 if none */
  int64_t max_position_embeddings;          /* Lmax; 0 if the config has none */
  int64_t seq_len;        /* L: dynamic NTK's length and LongRoPE's switch (long iff L > L0) */
  double beta_fast;       /* yarn, default 32 */
  double beta_slow;       /* yarn, default 1 */
  double mscale;          /* yarn (DeepSeek); 0 when absent */
  double mscale_all_dim;  /* yarn (DeepSeek); 0 when absent */
  double low_freq_factor;  /* llama3, alpha */
  double high_freq_factor; /* llama3, beta */
  const double* short_factor; /* longrope: rotary_dim/2 divisors, or NULL */
  const double* long_factor;  /* longrope: rotary_dim/2 divisors, or NULL */
  int32_t short_factor_count; /* entries of short_factor (rotary_dim/2 or 0) */
  int32_t long_factor_count;  /* entries of long_factor (rotary_dim/2 or 0) */
  double rotated_fraction;    /* proportional: p (k = floor(p*D/2) pairs rotate, d = D) */
  double attention_factor;    /* a, correctly rounded: multiplies cos and sin of every pair */
} rc_rope_config;

/* One call: apply RoPE out of place to x[tokens][heads][head_dim] into y (same shape, both
 * contiguous, row-major, in `dtype`), every head of token t at position positions[t]. */
typedef struct rc_kernel_args {
  uint32_t struct_size;          /* sizeof(rc_kernel_args) as ropecheck was built */
  uint32_t dtype;                /* one RC_DTYPE_* bit: the format of x, y (and cos/sin, see below) */
  const rc_rope_config* config;  /* the configuration */
  void* state;                   /* what init stored for this configuration, or NULL */
  int64_t tokens;                /* >= 1 */
  int64_t heads;                 /* >= 1 */
  int64_t head_dim;              /* == config->head_dim */
  const int64_t* positions;      /* [tokens]; any integer with |m| < 2^53 (may be negative) */
  const void* x;                 /* input, read only */
  void* y;                       /* output; does not overlap x; write exactly tokens*heads*head_dim values */
  uint32_t cos_sin_dtype;        /* RC_ANGLES_COS_SIN_CACHE: the RC_DTYPE_* bit of cos and sin; else 0 */
  int32_t cos_sin_pairs;         /* RC_ANGLES_COS_SIN_CACHE: pairs per token (rotary_dim/2); else 0 */
  const void* cos;               /* RC_ANGLES_COS_SIN_CACHE: [tokens][pairs] RN(a*cos(m*theta'_i)); else NULL */
  const void* sin;               /* RC_ANGLES_COS_SIN_CACHE: [tokens][pairs] RN(a*sin(m*theta'_i)); else NULL */
  char* error;                   /* buffer for a NUL-terminated message when returning non-zero */
  size_t error_size;             /* its size in bytes (>= 256) */
} rc_kernel_args;

/* One kernel the library offers. Every pointer stays valid while the library is loaded. */
typedef struct rc_kernel {
  const char* name;        /* unique within the library: [A-Za-z0-9_.:-]+ */
  const char* description; /* one line for listings, or NULL */
  uint32_t dtypes;         /* mask of RC_DTYPE_* the kernel accepts */
  uint32_t layouts;        /* mask of RC_LAYOUT_* */
  uint32_t rope_types;     /* mask of RC_ROPE_BIT(...); RC_ANGLES_COS_SIN_CACHE kernels: RC_ROPE_ALL */
  uint32_t angle_mode;     /* RC_ANGLES_COMPUTED or RC_ANGLES_COS_SIN_CACHE */
  uint32_t cos_sin_dtype;  /* RC_ANGLES_COS_SIN_CACHE: format of the tables (0: the call's dtype) */
  int64_t max_position;    /* largest |position| accepted (e.g. 2^31-1 for int32 positions); 0: no limit */
  const char* bound;       /* pipeline whose error bound the kernel claims (`ropecheck impls`), or NULL */
  /* Optional (may be NULL): prepares per-configuration state (tables, contexts) stored in *state.
   * Called once per configuration before its apply calls, in the same process. */
  int (*init)(const rc_rope_config* config, uint32_t dtype, void** state, char* error,
              size_t error_size);
  /* Optional (may be NULL): releases what init made. */
  void (*teardown)(void* state);
  /* Optional (may be NULL): 1 if the kernel runs this configuration and dtype, 0 if not; beyond
   * the masks above (e.g. head_dim limits). NULL means the masks decide. */
  int (*supports)(const rc_rope_config* config, uint32_t dtype);
  /* Required: applies RoPE; returns RC_OK or an RC_ERROR_* code with a message in args->error. */
  int (*apply)(const rc_kernel_args* args);
} rc_kernel;

/* What ropecheck_kernels() returns. */
typedef struct rc_kernel_table {
  uint32_t abi_version;      /* RC_KERNEL_ABI_VERSION the plugin was built against */
  uint32_t count;            /* number of kernels, >= 1 (elements, not sizeof the array) */
  const rc_kernel* kernels;  /* [count] */
} rc_kernel_table;

/* The plugin's entry point, exported with C linkage and default visibility. `abi_version` is the
 * caller's RC_KERNEL_ABI_VERSION; return NULL if the plugin cannot serve it. It is called in
 * every worker process (more than once in all); it must not print or exit. */
typedef const rc_kernel_table* (*rc_kernels_fn)(uint32_t abi_version);

#if defined(__GNUC__)
#define RC_EXPORT __attribute__((visibility("default")))
#else
#define RC_EXPORT
#endif

RC_EXPORT const rc_kernel_table* ropecheck_kernels(uint32_t abi_version);

#ifdef __cplusplus
}
#endif

#endif /* ROPECHECK_KERNEL_H */
