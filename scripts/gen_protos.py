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
    print(f"generated {len(files)} proto files into {OUT.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
