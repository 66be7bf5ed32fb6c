"""Generate Python code, gRPC stubs and .pyi stubs from protos/ into gen/.

The proto root and the Python root match (protos/knooppunt/x/v1 -> gen/knooppunt/x/v1),
so generated imports work as they are; nothing is rewritten after codegen.
"""

from __future__ import annotations

import shutil
import sys
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"
OUT = ROOT / "gen"


# Our contracts import buf/validate/validate.proto (protovalidate's rules, vendored in
# protos/buf/validate), so generated modules import the top-level package `buf` from gen/.
# Where the installed package does not map `buf` (an install made before it was added to
# pyproject's package list), this makes gen/buf importable, and only then. No import is rewritten.
KNOOPPUNT_INIT = '''"""Generated knooppunt contracts (do not edit; scripts/gen_protos.py writes this file)."""

import importlib.util as _util
import sys as _sys
from pathlib import Path as _Path

if "buf" not in _sys.modules and _util.find_spec("buf") is None:
    _init = _Path(__file__).resolve().parent.parent / "buf" / "__init__.py"
    _spec = _util.spec_from_file_location("buf", _init, submodule_search_locations=[str(_init.parent)])
    if _spec is not None and _spec.loader is not None and _init.exists():
        _module = _util.module_from_spec(_spec)
        _sys.modules["buf"] = _module
        _spec.loader.exec_module(_module)
'''


def main() -> int:
    # Generate beside gen/ and swap it in, so running processes and parallel test runs never
    # see a half-written tree.
    staging = ROOT / "gen.staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    status = generate(staging)
    if status == 0:
        old = ROOT / "gen.old"
        shutil.rmtree(old, ignore_errors=True)
        if OUT.exists():
            OUT.rename(old)
        staging.rename(OUT)
        shutil.rmtree(old, ignore_errors=True)
    return status


def generate(out: Path) -> int:
    files = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    well_known = str(resources.files("grpc_tools") / "_proto")
    args = [
        "protoc",
        f"-I{PROTOS}",
        f"-I{well_known}",
        f"--python_out={out}",
        f"--pyi_out={out}",
        f"--grpc_python_out={out}",
        *files,
    ]
    if protoc.main(args) != 0:
        print("protoc failed", file=sys.stderr)
        return 1
    # Regular packages (not namespace packages) so that tools and type checkers find them.
    for directory in [p for p in out.rglob("*") if p.is_dir()]:
        (directory / "__init__.py").touch()
    (out / "knooppunt" / "__init__.py").write_text(KNOOPPUNT_INIT)
    print(f"generated {len(files)} proto files into {OUT.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
