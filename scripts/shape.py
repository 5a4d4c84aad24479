#!/usr/bin/python3
"""shape.py -- the code-shape limits `make check` enforces (issue 13's "done when").

No product .c file (common/, server/, client/) over 600 lines, and no function over 80 lines
anywhere in C (product, bench/, tests/unit/, tests/fuzz/); a test program's main(), which is
only its table of tests, is left out. Functions are found by the project's brace style
(clang-format, Linux braces): a definition's '{' and '}' stand alone in column 0.
Prints one line per breach ("FILE:LINE: function NAME is N lines (limit 80)") and exits 1,
or prints nothing and exits 0.
"""
import glob
import os
import re
import sys

FILE_LIMIT = 600
FUNC_LIMIT = 80
PRODUCT = ("common", "server", "client")
ALL = PRODUCT + ("bench", "tests/unit", "tests/fuzz")

NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def functions(lines):
    """Yields (name, first line number, length in lines) of each function definition."""
    head = None
    start = None
    for i, line in enumerate(lines):
        if line.startswith("{") and start is None and i > 0:
            # the signature may span lines: walk back to the line that opens it
            j = i - 1
            while j > 0 and lines[j][:1] in ("\t", " ") and not lines[j].startswith("{"):
                j -= 1
            m = NAME.search(lines[j])
            head = m.group(1) if m else "?"
            start = j
        elif line.startswith("}") and start is not None:
            yield head, start + 1, i - start + 1
            start = None


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.chdir(root)
    bad = []
    for folder in ALL:
        for path in sorted(glob.glob(folder + "/*.c")):
            with open(path, encoding="utf-8") as f:
                lines = f.read().split("\n")
            n = len(lines) - (1 if lines and lines[-1] == "" else 0)
            if folder in PRODUCT and n > FILE_LIMIT:
                bad.append("%s: %d lines (limit %d)" % (path, n, FILE_LIMIT))
            for name, first, length in functions(lines):
                if name == "main" and folder.startswith("tests/"):
                    continue
                if length > FUNC_LIMIT:
                    bad.append("%s:%d: function %s is %d lines (limit %d)"
                               % (path, first, name, length, FUNC_LIMIT))
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
