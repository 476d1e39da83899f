"""A PEP 517 build backend for the weft package, with no dependencies.

pip calls build_wheel; the wheel holds the weft package (weft/*.py,
__init__.pyi, py.typed) and libweft.so beside it, where the package looks
first. libweft.so is taken from, in order:
  - $WEFT_LIB (a built libweft.so),
  - the source tree's build (build/release/lib/libweft.so),
  - a build made now: `cmake --preset release` and the weft_shared target,
    from the source tree this folder belongs to (minutes; needs the
    packages .ci/setup.sh installs).
Nothing is fetched from a package index.
"""

import base64
import hashlib
import os
import subprocess
import zipfile

NAME = "weft"
VERSION = "0.1.0"
TAG = "py3-none-linux_x86_64"
HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_ROOT = os.path.dirname(HERE)              # bindings/python
SOURCE_ROOT = os.path.dirname(os.path.dirname(PACKAGE_ROOT))
BUILT = os.path.join(SOURCE_ROOT, "build", "release", "lib", "libweft.so")

METADATA = f"""Metadata-Version: 2.1
Name: {NAME}
Version: {VERSION}
Summary: An embedded, local-first database (binding over the C API)
Requires-Python: >=3.8
"""
WHEEL = f"""Wheel-Version: 1.0
Generator: weft_backend
Root-Is-Purelib: false
Tag: {TAG}
"""


def _library() -> str:
    for path in (os.environ.get("WEFT_LIB", ""), BUILT):
        if path and os.path.exists(path):
            return os.path.realpath(path)
    if not os.path.exists(os.path.join(SOURCE_ROOT, "CMakePresets.json")):
        raise RuntimeError(
            "libweft.so not found: set WEFT_LIB to a built libweft.so")
    print("weft: building libweft.so with CMake (cmake --preset release)")
    subprocess.run(["cmake", "--preset", "release"], cwd=SOURCE_ROOT,
                   check=True)
    subprocess.run(["cmake", "--build", "--preset", "release", "--target",
                    "weft_shared"], cwd=SOURCE_ROOT, check=True)
    return os.path.realpath(BUILT)


def _files():
    """(path in the wheel, path on disk) of the package's files."""
    package = os.path.join(PACKAGE_ROOT, NAME)
    for name in sorted(os.listdir(package)):
        if name.endswith((".py", ".pyi")) or name == "py.typed":
            yield f"{NAME}/{name}", os.path.join(package, name)
    yield f"{NAME}/libweft.so", _library()


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest())
    return f"{path},sha256={digest.rstrip(b'=').decode()},{len(data)}"


def build_wheel(wheel_directory, config_settings=None,
                metadata_directory=None):
    wheel_name = f"{NAME}-{VERSION}-{TAG}.whl"
    dist_info = f"{NAME}-{VERSION}.dist-info"
    records = []
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel_name), "w",
                         zipfile.ZIP_DEFLATED) as wheel:
        def add(path, data):
            wheel.writestr(path, data)
            records.append(_record_line(path, data))
        for path, disk in _files():
            with open(disk, "rb") as source:
                add(path, source.read())
        add(f"{dist_info}/METADATA", METADATA.encode())
        add(f"{dist_info}/WHEEL", WHEEL.encode())
        records.append(f"{dist_info}/RECORD,,")
        wheel.writestr(f"{dist_info}/RECORD", "\n".join(records) + "\n")
    return wheel_name


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_sdist(sdist_directory, config_settings=None):
    raise RuntimeError("weft is installed from its source tree: "
                       "pip install --no-build-isolation ./bindings/python")
