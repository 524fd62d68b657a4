# The CMake package: `find_package(ropecheck CONFIG)` gives ropecheck::core, ::impl, ::reference,
# ::properties, ::audit (the precision audit), ::kernels (plugin loading and `check`),
# ::kernel_abi (the C header),
# ::conformance (GoogleTest glue) and the ropecheck::ropecheck executable.
# Included last from the top-level CMakeLists.txt, once every target exists.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(ROPECHECK_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/ropecheck)
set(ROPECHECK_INSTALL_INCLUDEDIR ${CMAKE_INSTALL_INCLUDEDIR}/ropecheck)

# Inside the tree every target includes "core/...", "impl/..." from the source root; installed,
# the same paths resolve under include/ropecheck. The compile options (warnings, and
# -ffp-contract=off) stay build-only: a consumer's test binary compiles its own kernel, whose
# rounding must be the one it ships with, not ropecheck's policy.
set_property(TARGET ropecheck_options PROPERTY INTERFACE_INCLUDE_DIRECTORIES
             "$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>"
             "$<INSTALL_INTERFACE:${ROPECHECK_INSTALL_INCLUDEDIR}>")
get_target_property(ropecheck_build_options ropecheck_options INTERFACE_COMPILE_OPTIONS)
set_property(TARGET ropecheck_options PROPERTY INTERFACE_COMPILE_OPTIONS
             "$<BUILD_INTERFACE:${ropecheck_build_options}>")

set(ropecheck_exported ropecheck_options ropecheck_core ropecheck_impl ropecheck_reference
    ropecheck_properties ropecheck_audit ropecheck_plugin ropecheck_kernel_abi ropecheck)
if(TARGET ropecheck_conformance)
  list(APPEND ropecheck_exported ropecheck_conformance)
endif()
foreach(target options core impl reference properties audit)
  set_target_properties(ropecheck_${target} PROPERTIES EXPORT_NAME ${target})
endforeach()

install(TARGETS ${ropecheck_exported} EXPORT ropecheckTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The example plugins and the ggml adapter, for `ropecheck check` and the docs.
install(TARGETS ropecheck_correct_plugin ropecheck_broken_plugin ropecheck_ggml_adapter
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/ropecheck/plugins)

# Headers keep their source-tree paths; tests, example and adapter sources are not installed.
foreach(dir core impl reference properties audit kernels)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir} DESTINATION ${ROPECHECK_INSTALL_INCLUDEDIR}
          FILES_MATCHING PATTERN "*.hpp" PATTERN "*.h"
          PATTERN "tests" EXCLUDE PATTERN "examples" EXCLUDE PATTERN "adapters" EXCLUDE)
endforeach()
install(FILES ${PROJECT_SOURCE_DIR}/spec/kernel-abi.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

install(EXPORT ropecheckTargets NAMESPACE ropecheck:: DESTINATION ${ROPECHECK_INSTALL_CMAKEDIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/ropecheckConfig.cmake.in
                              ${CMAKE_CURRENT_BINARY_DIR}/ropecheckConfig.cmake
                              INSTALL_DESTINATION ${ROPECHECK_INSTALL_CMAKEDIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/ropecheckConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/ropecheckConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/ropecheckConfigVersion.cmake
        DESTINATION ${ROPECHECK_INSTALL_CMAKEDIR})

# The package test: install into a scratch prefix, then configure, build and test the example
# consumer project (examples/consumer) against it, as a user's project would.
if(ROPECHECK_BUILD_TESTS)
  add_test(NAME package.consumer
           COMMAND ${CMAKE_COMMAND}
                   -DBUILD_DIR=${CMAKE_BINARY_DIR}
                   -DSOURCE_DIR=${PROJECT_SOURCE_DIR}/examples/consumer
                   -DWORK_DIR=${CMAKE_BINARY_DIR}/package-test
                   -DCONFIG=$<CONFIG>
                   -P ${CMAKE_CURRENT_LIST_DIR}/ropecheck_package_test.cmake)
  set_tests_properties(package.consumer PROPERTIES LABELS "package" TIMEOUT 1800)
endif()
