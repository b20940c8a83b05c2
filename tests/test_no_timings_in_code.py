"""Library comments and docstrings say what and why, in the present tense; measurements live in benchmarks/.

Every comment and docstring under autograd/, nn/ and optim/ is scanned for a quoted timing ("0.4 ms", "55 us",
"2 ns") or a speed ratio ("3x faster", "2.5 times slower"). The figures behind a design choice go to
benchmarks/RESULTS.md ("Design measurements") and the commit message; the code keeps the reason. Error messages
and other string literals are not scanned.
"""

from __future__ import annotations

import ast
import io
import pathlib
import re
import tokenize

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = ("autograd", "nn", "optim")

TIMING = re.compile(r"\d(?:[\d.,]*\d)?\s?(?:ms|us|µs|ns|msec|usec|(?:milli|micro|nano)seconds?)\b")
RATIO = re.compile(r"\d+(?:\.\d+)?\s?(?:x|times)\s+(?:faster|slower)\b", re.IGNORECASE)

def _comments_and_docstrings(src: str):
    """(line, text) of every comment and of every line of every module, class and function docstring."""
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if tok.type == tokenize.COMMENT:
            yield tok.start[0], tok.string
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = node.body[0] if node.body else None
            if isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant) and isinstance(doc.value.value, str):
                for i, line in enumerate(doc.value.value.splitlines()):
                    yield doc.lineno + i, line


def _offences() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            for line, text in _comments_and_docstrings(path.read_text(encoding="utf-8")):
                m = TIMING.search(text) or RATIO.search(text)
                if m:
                    found.setdefault(rel, []).append(f"{rel}:{line}: {m.group(0)!r} in {text.strip()[:100]!r}")
    return found


def test_patterns_catch_timings_and_ratios_only():
    hits = ["0.43 ms", "~55 us", "1-2 ns per element", "296 vs 789 µs", "3x faster", "1.8x slower",
            "2.5 times slower", "12 microseconds"]
    misses = ["padded with leading 1s", "3 x Linear(...)", "float32 or float64", "the 2 x 2 case", "1e-4 tolerance",
              "slower at these sizes", "(64, 16, 28, 28)", "status"]
    assert [h for h in hits if not (TIMING.search(h) or RATIO.search(h))] == []
    assert [m for m in misses if TIMING.search(m) or RATIO.search(m)] == []


def test_no_library_comment_or_docstring_quotes_a_timing():
    found = _offences()
    offending = [line for lines in found.values() for line in lines]
    assert offending == [], (
        "comments and docstrings say why without numbers; move the measurement to benchmarks/RESULTS.md "
        "('Design measurements') or the commit message:\n" + "\n".join(offending))
