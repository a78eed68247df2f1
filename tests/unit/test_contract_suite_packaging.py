"""The contract suite ships in the package, yet `import tuitrack` never needs pytest."""

from __future__ import annotations

import json
import subprocess
import sys


def test_tuitrack_and_its_contract_import_without_the_test_tools() -> None:
    code = (
        "import json, sys, tuitrack, tuitrack.core.store, tuitrack.core.capabilities\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(done.stdout)
    tools = [m for m in loaded if m.split(".")[0] in ("pytest", "_pytest", "hypothesis")]
    assert tools == []
    assert not [m for m in loaded if m.startswith("tuitrack.testing")]
