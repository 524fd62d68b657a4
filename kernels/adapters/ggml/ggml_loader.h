/* Finding and loading llama.cpp's ggml CPU libraries at run time, and choosing the CPU variant. */
#ifndef ROPECHECK_GGML_LOADER_H
#define ROPECHECK_GGML_LOADER_H

#include <stddef.h>

#include "ggml_api.h"

/* The loaded libraries, or why they could not be loaded. */
typedef struct ggml_runtime {
  int loaded;            /* 1 when every entry point resolved */
  ggml_api api;
  char directory[1024];  /* where libggml-base.so was found */
  char cpu_library[256]; /* file name of the chosen libggml-cpu-*.so */
  char error[4096];      /* when !loaded: what went wrong, naming the path */
} ggml_runtime;

/* Loads libggml-base.so and the best libggml-cpu-*.so for this CPU (the highest
 * ggml_backend_score, as ggml's own backend loader chooses) from, in order: the directory in
 * $ROPECHECK_GGML_DIR, else `default_directory`. $ROPECHECK_GGML_CPU names a variant to use
 * instead (e.g. "x64" or "haswell"), for reproducing a result across machines. */
void ggml_runtime_load(ggml_runtime* runtime, const char* default_directory);

#endif /* ROPECHECK_GGML_LOADER_H */
