"""Parsing from many threads at once (the inline executor's workers and the driver) never fails."""

from concurrent.futures import ThreadPoolExecutor

from evopersona import pyast
from evopersona.resources import programs_dir


def test_parse_is_safe_across_threads():
    sources = [p.read_text() for p in sorted(programs_dir().glob("*.py"))]
    nested = "x = " + "[" * 80 + "]" * 80 + "\n"
    work = (sources + [nested]) * 60
    with ThreadPoolExecutor(max_workers=8) as pool:
        trees = list(pool.map(pyast.parse, work))
    assert len(trees) == len(work)
    assert all(tree.body for tree in trees)
