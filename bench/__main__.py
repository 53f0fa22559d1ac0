"""Run the benchmarks: `python -m bench [name ...]` (all `bench/*_bench.py` when no name is given)."""

import importlib
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    # Options after the names (`insights_bench --scale issue`) are the bench's own (it reads sys.argv).
    argv = argv[: next((i for i, a in enumerate(argv) if a.startswith("--")), len(argv))]
    names = argv or sorted(p.stem for p in Path(__file__).parent.glob("*_bench.py"))
    for name in names:
        module = importlib.import_module(f"bench.{name.removesuffix('.py')}")
        print(f"== {name} ==", flush=True)
        start = time.perf_counter()
        module.main()
        print(f"   ({time.perf_counter() - start:.1f} s)\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
