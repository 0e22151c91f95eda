"""The benchmarks' tables: columns padded to their widest cell, a rule under the header."""

from __future__ import annotations

from collections.abc import Sequence


def print_rows(rows: Sequence[Sequence[str]]) -> None:
    """``rows[0]`` is the header."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for number, row in enumerate(rows):
        print(" | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if number == 0:
            print("-+-".join("-" * width for width in widths))
