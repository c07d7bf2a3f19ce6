"""Invalid-spec cases as folders: `cases/invalid/<case>/model.yaml` + `expected.txt`.

`expected.txt` holds the exact diagnostics text (`model.yaml:LINE:COL: error[CODE]: ...`).
Regenerate on purpose only, after reviewing the change: `python tests/validate/update_cases.py`.
"""

from __future__ import annotations

from pathlib import Path

from mlopsgen import report
from mlopsgen.model import Origin
from mlopsgen.spec.compile import compile_bytes, folder_reader

CASES_DIR = Path(__file__).parent / "cases" / "invalid"


def case_dirs() -> list[Path]:
    return sorted(p.parent for p in CASES_DIR.glob("*/model.yaml"))


def diagnostics_text(case: Path) -> str:
    """Compile the case as `model.yaml` (the name its expected text uses)."""
    result = compile_bytes(
        (case / "model.yaml").read_bytes(),
        Path("model.yaml"),
        read_file=folder_reader(case),
        origin=Origin(spec_path="model.yaml", spec_dir="."),
    )
    return report.as_text(result.diagnostics)
