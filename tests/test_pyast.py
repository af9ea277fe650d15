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


def test_a_spurious_recursion_depth_error_is_retried(monkeypatch):
    import ast

    real_parse = ast.parse
    failures = iter([SystemError("AST constructor recursion depth mismatch (before=93, after=48)")])

    def flaky(source, filename="<unknown>"):
        error = next(failures, None)
        if error is not None:
            raise error
        return real_parse(source, filename=filename)

    monkeypatch.setattr(ast, "parse", flaky)
    assert pyast.parse("x = 1\n").body


def test_other_system_errors_are_not_hidden(monkeypatch):
    import ast

    import pytest

    def broken(source, filename="<unknown>"):
        raise SystemError("something else")

    monkeypatch.setattr(ast, "parse", broken)
    with pytest.raises(SystemError, match="something else"):
        pyast.parse("x = 1\n")
