"""Check that ``import trackstone`` stays light: no heavy modules, and quick to import.

Run in a fresh interpreter so that nothing else has been imported yet.
"""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = ("sqlalchemy", "pandas", "starlette", "boto3", "numpy", "alembic", "requests")
MAX_IMPORT_MS = 150.0
PROBE = """
import sys, time
start = time.perf_counter()
import trackstone
elapsed_ms = (time.perf_counter() - start) * 1000
heavy = sorted({m.split('.')[0] for m in sys.modules} & set(sys.argv[1:]))
print(f"{elapsed_ms:.1f} {','.join(heavy)}")
"""


def main() -> int:
    best_ms = float("inf")
    heavy = ""
    for _ in range(5):
        out = subprocess.run(
            [sys.executable, "-c", PROBE, *FORBIDDEN], capture_output=True, text=True, check=True
        ).stdout.split()
        best_ms = min(best_ms, float(out[0]))
        heavy = out[1] if len(out) > 1 else ""
    if heavy:
        print(f"import trackstone pulled in heavy modules: {heavy}")
        return 1
    if best_ms > MAX_IMPORT_MS:
        print(f"import trackstone took {best_ms:.0f} ms (limit {MAX_IMPORT_MS:.0f} ms)")
        return 1
    print(f"import trackstone: {best_ms:.1f} ms, no heavy modules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
