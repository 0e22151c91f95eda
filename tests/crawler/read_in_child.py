"""Reads one file in a fresh interpreter and prints, as JSON, what came of it and the peak memory.

``python -m tests.crawler.read_in_child <path> <url>`` runs ``extract_text``;
``python -m tests.crawler.read_in_child <path> table <options as JSON>`` runs ``read_table``.
The address space is capped first, so a bomb that escapes its bounds ends here in a MemoryError
instead of exhausting the machine that runs the tests.
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path
from typing import Any

ADDRESS_SPACE = 2 * 1024**3


def read(path: str, how: str, argument: str | None) -> dict[str, Any]:
    from crawler.attachments import extract_text
    from crawler.platforms.data_file import DataFileError, DataFileOptions, read_table

    body = Path(path).read_bytes()
    if how != "table":
        text, error = extract_text(body, how)
        return {"text": text, "error": error}
    try:
        table = read_table(body, DataFileOptions.model_validate_json(argument or "{}"))
    except DataFileError as exc:
        return {"error": str(exc)}
    return {"rows": len(table.rows), "truncation": table.truncation}


def peak_mb() -> int:
    """This process's peak resident memory. Not ``getrusage``'s ``ru_maxrss``, which a process started
    by fork and exec inherits from its parent (here: pytest, holding the bombs it built)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024  # kilobytes
    raise RuntimeError("no VmHWM in /proc/self/status: the memory tests need Linux")


def main() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    path, how, *rest = sys.argv[1:]
    outcome = read(path, how, rest[0] if rest else None)
    print(json.dumps({**outcome, "peak_mb": peak_mb()}))


if __name__ == "__main__":
    main()
