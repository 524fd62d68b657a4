"""pip install of the ropecheck Python package: the module is built by the project's own CMake
build (the C++ libraries it wraps and pybind11's CMake support), so the install needs what the
normal build needs (ci/setup.sh lists Debian's packages) and nothing from the network:

    pip install --no-build-isolation --no-index ./python
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent.parent


class CMakeBuild(build_ext):
    """Builds the module target ropecheck_python_native and copies it into the package."""

    def build_extension(self, ext):
        build = Path(self.build_temp).resolve() / "cmake"
        build.mkdir(parents=True, exist_ok=True)
        args = ["-DCMAKE_BUILD_TYPE=Release", "-DROPECHECK_BUILD_TESTS=OFF",
                "-DROPECHECK_BUILD_BENCH=OFF", f"-DPython3_EXECUTABLE={sys.executable}"]
        try:  # pybind11's CMake files from the pybind11 Python package (python3-pybind11)
            import pybind11
            args.append(f"-Dpybind11_DIR={pybind11.get_cmake_dir()}")
        except ImportError:  # else from pybind11-dev's system location
            pass
        subprocess.run(["cmake", "-S", str(ROOT), "-B", str(build), *args], check=True)
        subprocess.run(["cmake", "--build", str(build), "--target", "ropecheck_python_native",
                        "-j", str(os.cpu_count() or 1)], check=True)
        built = sorted((build / "python" / "ropecheck").glob("_native*.so"))
        if len(built) != 1:
            raise RuntimeError(f"expected one built module in {build}, found {built}")
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[0], target)


setup(
    name="ropecheck",
    version="0.1.0",
    description="RoPE checked against a correctly rounded reference: API, pytest plugin, "
                "Hypothesis strategies",
    packages=["ropecheck"],
    ext_modules=[Extension("ropecheck._native", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    python_requires=">=3.9",
    install_requires=["numpy"],
    # Named as the module, so that `-p ropecheck.pytest_plugin` finds it already registered.
    entry_points={"pytest11": ["ropecheck.pytest_plugin = ropecheck.pytest_plugin"]},
)
