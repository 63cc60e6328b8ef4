"""Run independent test suites side by side: `python -m tests.parallel "<paths>" "<paths>" ...`.

Each argument is one pytest session (space-separated paths) in its own process. The suites share
nothing that could race: every devstack and emulator picks free ports and its own state
directory, and the least-privilege check needs the whole `tests/integration` directory in ONE
session (it judges the calls that session recorded), which is why this is not pytest-xdist.
Output of each session is printed whole when it ends (no interleaving); the exit status is the
first non-zero one, so a failing suite fails `make test`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main(groups: list[str]) -> int:
    if not groups:
        print(__doc__)
        return 2
    started = time.monotonic()
    running: list[tuple[str, subprocess.Popen[bytes], Path]] = []
    scratch = Path(tempfile.mkdtemp(prefix="stockroom-tests-"))
    for index, group in enumerate(groups):
        log = scratch / f"suite-{index}.log"
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfEs", "--durations=12"]
        command += group.split()
        print(f"[{group}] starting: {' '.join(command[1:])}", flush=True)
        with log.open("wb") as out:
            running.append((group, subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT), log))
    status = 0
    pending = list(running)
    try:
        status = _wait(pending, started)
    finally:  # interrupted: no suite outlives the runner
        for _, process, _ in pending:
            process.kill()
    print(f"\nall suites done in {time.monotonic() - started:.0f} s: {'FAILED' if status else 'passed'}")
    return status


def _wait(pending: list[tuple[str, subprocess.Popen[bytes], Path]], started: float) -> int:
    status = 0
    while pending:
        for entry in list(pending):
            group, process, log = entry
            code = process.poll()
            if code is None:
                continue
            pending.remove(entry)
            elapsed = time.monotonic() - started
            print(f"\n===== [{group}] exit {code} after {elapsed:.0f} s =====", flush=True)
            sys.stdout.write(log.read_text(errors="replace"))
            sys.stdout.flush()
            status = status or code
        time.sleep(1)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
