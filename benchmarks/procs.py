"""Running the measurements: child processes, their wall time, and the workers' JSON."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MB = 2**20
#: The entry point whose ``--worker`` runs one measurement in a fresh process.
BENCH = Path(__file__).with_name("bench.py")


_STARTED = time.perf_counter()


def log(message: str) -> None:
    """Report progress on stderr, after the seconds since the run started."""
    print(f"[{time.perf_counter() - _STARTED:7.1f} s] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Done:
    """A finished process: wall time, exit status and output."""

    seconds: float
    returncode: int
    stdout: str


def run(command: Sequence[str], *, cwd: Path | None = None, check: bool = True) -> Done:
    """Run a command and time it (wall clock, from spawn to exit).

    Raises
    ------
    subprocess.CalledProcessError
        When ``check`` and the process fails (its stderr is shown).
    """
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd)
    seconds = time.perf_counter() - start
    if check and done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise subprocess.CalledProcessError(done.returncode, command, done.stdout, done.stderr)
    return Done(seconds, done.returncode, done.stdout)


def run_python(args: Sequence[str]) -> Done:
    """Run ``sys.executable`` with ``args`` (see :func:`run`)."""
    return run([sys.executable, *args])


def run_worker(*args: str) -> dict[str, Any]:
    """Run a measurement of this script in a fresh process; return its JSON result."""
    return json.loads(run_python([str(BENCH), "--worker", *args]).stdout.strip().splitlines()[-1])


