// The ropecheck-kernel-worker executable (kernels/plugin/worker_main.hpp).
#include "kernels/plugin/worker_main.hpp"

int main(int argc, char** argv) { return ropecheck::kernels::worker_main(argc, argv); }
