/* Malformed plugins for the loader's error tests; FIXTURE_* selects the defect. */
#include <stddef.h>

#include "ropecheck_kernel.h"

static int apply(const rc_kernel_args* args) {
  (void)args;
  return RC_OK;
}

static const rc_kernel kKernel = {.name = "fixture",
                                  .dtypes = RC_DTYPE_F32,
                                  .layouts = RC_LAYOUT_HALF,
                                  .rope_types = RC_ROPE_BIT(RC_ROPE_DEFAULT),
                                  .angle_mode = RC_ANGLES_COMPUTED,
#ifdef FIXTURE_NO_APPLY
                                  .apply = NULL
#else
                                  .apply = apply
#endif
};

#ifdef FIXTURE_ABI_99
static const rc_kernel_table kTable = {99u, 1, &kKernel};
#else
static const rc_kernel_table kTable = {RC_KERNEL_ABI_VERSION, 1, &kKernel};
#endif

#ifdef FIXTURE_NO_SYMBOL
/* Exported under the wrong name. */
RC_EXPORT const rc_kernel_table* ropecheck_kernel_table(uint32_t abi_version) {
  (void)abi_version;
  return &kTable;
}
#else
RC_EXPORT const rc_kernel_table* ropecheck_kernels(uint32_t abi_version) {
  (void)abi_version;
#ifdef FIXTURE_NULL_TABLE
  return NULL;
#else
  return &kTable;
#endif
}
#endif
