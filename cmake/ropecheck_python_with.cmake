# ropecheck_python_with(OUT CACHE_VARIABLE MODULES PACKAGES TESTS)
# Sets OUT to a Python 3 interpreter that imports MODULES (e.g. "numpy, torch"): the cache
# variable CACHE_VARIABLE when set, else the first of ${Python3_EXECUTABLE} and /usr/bin/python3
# that can (remembered in the cache). With none, a warning names the Debian PACKAGES to install
# and the TESTS that will fail, and OUT is ${Python3_EXECUTABLE}: the tests then fail loudly
# rather than being left out.
function(ropecheck_python_with out cache_variable modules packages tests)
  set(${cache_variable} "" CACHE FILEPATH
      "Python 3 interpreter that imports ${modules} (found if empty)")
  if(NOT ${cache_variable})
    foreach(candidate ${Python3_EXECUTABLE} /usr/bin/python3)
      execute_process(COMMAND ${candidate} -c "import ${modules}" RESULT_VARIABLE missing
                      OUTPUT_QUIET ERROR_QUIET)
      if(missing EQUAL 0)
        set(${cache_variable} ${candidate} CACHE FILEPATH
            "Python 3 interpreter that imports ${modules} (found if empty)" FORCE)
        break()
      endif()
    endforeach()
  endif()
  if(${cache_variable})
    set(${out} ${${cache_variable}} PARENT_SCOPE)
  else()
    message(WARNING "No Python 3 that imports ${modules} found (install ${packages}): the "
                    "${tests} tests will fail")
    set(${out} ${Python3_EXECUTABLE} PARENT_SCOPE)
  endif()
endfunction()
