# Build settings that make the test builds compile faster without changing what is tested.
#   ROPECHECK_TEST_OPTIMIZATION  optimization flag of the test programs' own sources: every
#                                executable and object library defined in a directory named
#                                "tests" (default -O1; a Debug build keeps its -O0)
#   ROPECHECK_IO_OPTIMIZATION    optimization flag of the code that only parses input and
#                                writes output: the `ropecheck` command and its library, the
#                                vector file formats, core's JSON readers and `check`'s report
#                                (default: the build type's; ci/build.sh -O1, which compiles the
#                                command's files in 60% of -O3's time, and nothing there is
#                                speed-critical: the numbers it parses and prints are few)
#   ROPECHECK_DRIVER_OPTIMIZATION  optimization flag of the code that drives the numerics over
#                                many inputs: the audit and vector-set layers and the property
#                                battery's input generators (rapidcheck templates: the costliest
#                                file to compile under the sanitizers, 22 s at -O1 and 9 s at
#                                -O0 with clang 14) (default: the build type's: their speed is
#                                the audit's and check's)
#   ROPECHECK_UNITY_BUILD        compile each library and program as few files as possible
#                                (unity build, up to 8 sources a file; default OFF, ci/build.sh
#                                and ci/sanitize.sh set it). Plugins (the code under test) stay
#                                as they are.
# The numerics (impl, reference, properties, the plugin engine and core's formats) always keep
# the build type's flags, so the numerics the tests check are compiled as shipped.
# Why: a test file's compile time is mostly template code (GoogleTest, rapidcheck, json) that
# runs once. At -O3 it costs about a third more than at -O1, with the sanitizers -O1 costs 2.5
# times -O0 (core/tests/model_families_test.cpp, GCC 12), and the four files of impl_tests
# compile in 43% of their separate time as one (GoogleTest and json parsed and instantiated
# once); the libraries' files as unity files compile in about two thirds of their separate
# time (json, fmt and Boost instantiated once per file, not once per source). The build's
# floating-point semantics do not depend on which functions share a file (no contraction,
# -ffp-contract=off, and no fast-math), so the numerics compute the same either way.
# ci/sanitize.sh sets the three flags to -O0: the sanitizers find at -O0 all they find at -O1.
# A file whose anonymous-namespace names clash with another's, or that is compiled for other
# target features, is kept out of the unity file with SKIP_UNITY_BUILD_INCLUSION beside its
# target.
# Included last from the top-level CMakeLists.txt, once every target exists.
set(ROPECHECK_TEST_OPTIMIZATION "-O1" CACHE STRING
    "Optimization flag for the test programs' own sources (empty: the build type's)")
set(ROPECHECK_IO_OPTIMIZATION "" CACHE STRING
    "Optimization flag for the parsing and printing code (empty: the build type's)")
set(ROPECHECK_DRIVER_OPTIMIZATION "" CACHE STRING
    "Optimization flag for the audit, vector-set and input-generating code (empty: the build type's)")
option(ROPECHECK_UNITY_BUILD "Compile each library and program as few files as possible" OFF)

# Each flag comes after the build type's (-O3, -O1 ...) on the command line, so it wins.
function(ropecheck_speed_up_build dir)
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(subdir IN LISTS subdirs)
    ropecheck_speed_up_build(${subdir})
  endforeach()
  get_filename_component(name ${dir} NAME)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(NOT type MATCHES "^(EXECUTABLE|OBJECT_LIBRARY|STATIC_LIBRARY)$")
      continue()
    endif()
    if(ROPECHECK_UNITY_BUILD)
      set_target_properties(${target} PROPERTIES UNITY_BUILD ON)
    endif()
    if(name STREQUAL "tests" AND ROPECHECK_TEST_OPTIMIZATION)
      target_compile_options(${target} PRIVATE
        $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<NOT:$<CONFIG:Debug>>>:${ROPECHECK_TEST_OPTIMIZATION}>)
    endif()
  endforeach()
endfunction()

ropecheck_speed_up_build(${PROJECT_SOURCE_DIR})
# The Python module is the one module library built as a unity file (the other modules are
# plugins, the code under test): pybind11's headers, parsed once instead of in each of its four
# sources, were most of their 39 CPU-seconds.
if(ROPECHECK_UNITY_BUILD AND TARGET ropecheck_python_native)
  set_target_properties(ropecheck_python_native PROPERTIES UNITY_BUILD ON)
endif()
# A source file with options of its own leaves its target's unity file, so whole targets are
# chosen where possible (core's JSON readers are a target of their own for this).
if(ROPECHECK_IO_OPTIMIZATION)
  foreach(target ropecheck ropecheck_cli ropecheck_vector_formats ropecheck_core_json)
    target_compile_options(${target} PRIVATE ${ROPECHECK_IO_OPTIMIZATION})
  endforeach()
  set_property(SOURCE ${PROJECT_SOURCE_DIR}/kernels/plugin/check_report.cpp
               DIRECTORY ${PROJECT_SOURCE_DIR}/kernels/plugin
               APPEND PROPERTY COMPILE_OPTIONS ${ROPECHECK_IO_OPTIMIZATION})
endif()
if(ROPECHECK_DRIVER_OPTIMIZATION)
  foreach(target ropecheck_audit ropecheck_vectors)
    target_compile_options(${target} PRIVATE ${ROPECHECK_DRIVER_OPTIMIZATION})
  endforeach()
  set_property(SOURCE ${PROJECT_SOURCE_DIR}/properties/generators.cpp
               DIRECTORY ${PROJECT_SOURCE_DIR}/properties
               APPEND PROPERTY COMPILE_OPTIONS ${ROPECHECK_DRIVER_OPTIMIZATION})
endif()
