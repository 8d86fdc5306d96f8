"""README's Python example runs as a script, as a reader would save and run it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_python_api_example_runs_as_a_script(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## The Python API"):]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None
    (tmp_path / "example.py").write_text(match.group(1), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRESENCE_")}
    done = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["telegram:42 came online", "dnd"]
