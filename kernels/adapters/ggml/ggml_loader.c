#define _DEFAULT_SOURCE /* dirent, dlfcn with -std=c99 */

#include "ggml_loader.h"

#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* dlsym into a function pointer of the right type (POSIX guarantees the conversion works). */
#define RESOLVE(handle, field, symbol)                                        \
  do {                                                                        \
    void* p_ = dlsym(handle, symbol);                                         \
    if (p_ == NULL) {                                                         \
      snprintf(runtime->error, sizeof runtime->error, "%s: missing symbol %s", \
               where, symbol);                                                \
      return 0;                                                               \
    }                                                                         \
    memcpy(&runtime->api.field, &p_, sizeof p_);                              \
  } while (0)

static int resolve_base(ggml_runtime* runtime, void* base, const char* where) {
  RESOLVE(base, init, "ggml_init");
  RESOLVE(base, free, "ggml_free");
  RESOLVE(base, tensor_overhead, "ggml_tensor_overhead");
  RESOLVE(base, graph_overhead, "ggml_graph_overhead");
  RESOLVE(base, new_tensor_1d, "ggml_new_tensor_1d");
  RESOLVE(base, new_tensor_3d, "ggml_new_tensor_3d");
  RESOLVE(base, get_data, "ggml_get_data");
  RESOLVE(base, rope_ext, "ggml_rope_ext");
  RESOLVE(base, new_graph, "ggml_new_graph");
  RESOLVE(base, build_forward_expand, "ggml_build_forward_expand");
  RESOLVE(base, version, "ggml_version");
  RESOLVE(base, commit, "ggml_commit");
  return 1;
}

static int resolve_cpu(ggml_runtime* runtime, void* cpu, const char* where) {
  RESOLVE(cpu, cpu_init, "ggml_cpu_init");
  RESOLVE(cpu, graph_compute_with_ctx, "ggml_graph_compute_with_ctx");
  return 1;
}

/* The score ggml gives a CPU variant on this machine (0: unusable); -1 if it has none. */
static int variant_score(void* handle) {
  void* p = dlsym(handle, "ggml_backend_score");
  if (p == NULL) return -1;
  ggml_backend_score_fn score;
  memcpy(&score, &p, sizeof p);
  return score();
}

/* Opens the chosen libggml-cpu-*.so into *out; returns 1 on success. */
static int open_cpu_variant(ggml_runtime* runtime, const char* dir, void** out) {
  const char* wanted = getenv("ROPECHECK_GGML_CPU");
  char path[1400];
  if (wanted != NULL && *wanted != '\0') {
    snprintf(runtime->cpu_library, sizeof runtime->cpu_library, "libggml-cpu-%s.so", wanted);
    snprintf(path, sizeof path, "%s/%s", dir, runtime->cpu_library);
    *out = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (*out == NULL)
      snprintf(runtime->error, sizeof runtime->error, "cannot load %s ($ROPECHECK_GGML_CPU): %s",
               path, dlerror());
    return *out != NULL;
  }
  DIR* listing = opendir(dir);
  if (listing == NULL) {
    snprintf(runtime->error, sizeof runtime->error, "cannot list %s", dir);
    return 0;
  }
  void* best = NULL;
  int best_score = 0;
  struct dirent* entry;
  while ((entry = readdir(listing)) != NULL) {
    const char* name = entry->d_name;
    const size_t length = strlen(name);
    if (strncmp(name, "libggml-cpu-", 12) != 0 || length < 4 || strcmp(name + length - 3, ".so") != 0)
      continue;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    void* handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) continue;
    const int score = variant_score(handle);
    if (score > best_score) {
      if (best != NULL) dlclose(best);
      best = handle;
      best_score = score;
      snprintf(runtime->cpu_library, sizeof runtime->cpu_library, "%s", name);
    } else {
      dlclose(handle);
    }
  }
  closedir(listing);
  if (best == NULL)
    snprintf(runtime->error, sizeof runtime->error,
             "no libggml-cpu-*.so in %s runs on this CPU", dir);
  *out = best;
  return best != NULL;
}

void ggml_runtime_load(ggml_runtime* runtime, const char* default_directory) {
  memset(runtime, 0, sizeof *runtime);
  const char* dir = getenv("ROPECHECK_GGML_DIR");
  if (dir == NULL || *dir == '\0') dir = default_directory;
  snprintf(runtime->directory, sizeof runtime->directory, "%s", dir);
  char path[1400];
  snprintf(path, sizeof path, "%s/libggml-base.so", dir);
  /* RTLD_GLOBAL: the CPU variant's NEEDED libggml-base.so must resolve to this copy. */
  void* base = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
  if (base == NULL) {
    snprintf(runtime->error, sizeof runtime->error,
             "cannot load %s (run ci/ggml.sh, or set ROPECHECK_GGML_DIR): %s", path, dlerror());
    return;
  }
  if (!resolve_base(runtime, base, path)) return;
  void* cpu = NULL;
  if (!open_cpu_variant(runtime, dir, &cpu)) return;
  if (!resolve_cpu(runtime, cpu, runtime->cpu_library)) return;
  runtime->api.cpu_init();
  runtime->loaded = 1;
}
