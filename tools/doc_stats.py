#!/usr/bin/env python
"""How well the notebooks document their definitions: long export cells, and definitions without an example.

    python tools/doc_stats.py [-v] [NB...]   per notebook (default: all in nbs/), then the total; -v: the
                                              definitions without an example
    python tools/doc_stats.py --check [NB...] the same; exit 1 if an export cell is too long or the total
                                              fraction of shown definitions is under `--min` (default 0.8)
    python tools/doc_stats.py --selftest     the counts on small fixture notebooks are the expected ones

An *export cell* is a code cell with `#| export`, `#| exporti` or `#| exports`; its length is its number of source
lines, directive lines included. It is *long* above `--max` lines (default 80). A *definition block* is an export
cell that defines something at top level: a function (a fastcore `@patch` is one) or a class. It is *shown* when an
example comes after it and before the next export cell: a visible code cell (as `tools/check_outputs.py` judges it:
not hidden, not export-only, run by the tests) that displays something, by `check_outputs`' syntax heuristic (it
ends with a displayed expression or calls `print`, `display`, a plot, ...) or by the outputs saved in it (a function
that prints). A cell that only shows documentation (`show_doc(...)`) is not an example. Nothing is executed.
"""
import ast, contextlib, io, json, sys, tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_outputs import NBS, _flags, directives, displays  # noqa: E402

EXPORT = {"export", "exporti", "exports"}


def _src(c) -> str:
    return "".join(c["source"]) if isinstance(c["source"], list) else c["source"]


def is_export(c) -> bool:
    return c["cell_type"] == "code" and bool(EXPORT & directives(_src(c)).keys())


def defines(c) -> list[str]:
    "Names of the functions and classes an export cell defines at top level."
    code = "\n".join(l for l in _src(c).splitlines() if not l.lstrip().startswith(("#|", "%", "!")))
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    return [t.name for t in tree.body if isinstance(t, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]


def _without_show_doc(src: str) -> str:
    "The cell's code without its top-level `show_doc(...)` statements (documentation, not an example)."
    try:
        tree = ast.parse("\n".join(l for l in src.splitlines() if not l.lstrip().startswith(("#|", "%", "!"))))
    except SyntaxError:
        return src
    keep = [t for t in tree.body if not (isinstance(t, ast.Expr) and isinstance(t.value, ast.Call)
                                         and getattr(t.value.func, "id", "") == "show_doc")]
    return "\n".join(ast.unparse(t) for t in keep)


def visible(c, skip=frozenset({"slow", "gpu"})) -> bool:
    "A code cell whose code the page shows and the tests run (`check_outputs.shown_cells`' rules)."
    if c["cell_type"] != "code":
        return False
    d = directives(_src(c))
    return not ("hide" in d or d.get("include") == "false" or d.get("eval") == "false"
                or d.get("output") == "false" or {"export", "exporti"} & d.keys() or skip & d.keys())


def _has_output(c) -> bool:
    "Saved output other than stderr (a warning is not a result)."
    return any(o.get("output_type") != "stream" or o.get("name") == "stdout" for o in c.get("outputs", []))


def examples(nb: dict) -> set[int]:
    "Indices of the examples: visible cells that display something besides `show_doc`, or hold saved output."
    skip, out = _flags(), set()
    for i, c in enumerate(nb["cells"]):
        if visible(c, skip):
            code = _without_show_doc(_src(c))
            if code.strip() and (displays(code) or _has_output(c)):
                out.add(i)
    return out


def stats(nb: dict, max_lines: int = 80) -> dict:
    """{'long': [(id, lines)], 'blocks': n, 'shown': n, 'unshown': [(id, names)]} of a notebook's JSON."""
    cells, shows = nb["cells"], examples(nb)
    exports = [i for i, c in enumerate(cells) if is_export(c)]
    out = dict(long=[], blocks=0, shown=0, unshown=[])
    for k, i in enumerate(exports):
        c, n = cells[i], len(_src(cells[i]).splitlines())
        if n > max_lines:
            out["long"].append((c.get("id"), n))
        names = defines(c)
        if not names:
            continue
        out["blocks"] += 1
        nxt = exports[k + 1] if k + 1 < len(exports) else len(cells)
        if any(i < j < nxt for j in shows):
            out["shown"] += 1
        else:
            out["unshown"].append((c.get("id"), names))
    return out


def report(paths, max_lines=80, verbose=False) -> tuple[int, int, int]:
    "Print one line per notebook; returns (long cells, definition blocks, shown blocks) over all of them."
    tot = [0, 0, 0]
    for p in paths:
        s = stats(json.loads(Path(p).read_text()), max_lines)
        frac = f"{s['shown'] / s['blocks']:6.1%}" if s["blocks"] else "     -"
        long = " ".join(f"{i}:{n}" for i, n in s["long"])
        print(f"{Path(p).name:26} {s['shown']:3}/{s['blocks']:<3} shown {frac}   long export cells: {long or '-'}")
        if verbose:
            for i, names in s["unshown"]:
                print(f"{'':28}no example after {i}: {', '.join(names)}")
        tot = [tot[0] + len(s["long"]), tot[1] + s["blocks"], tot[2] + s["shown"]]
    frac = f"{tot[2] / tot[1]:6.1%}" if tot[1] else "     -"
    print(f"{'total':26} {tot[2]:3}/{tot[1]:<3} shown {frac}   long export cells: {tot[0]}")
    return tuple(tot)


def selftest():
    "Counts on fixture notebooks: shown and hidden examples, saved output, `show_doc`, a long cell, a constant cell."
    out = dict(output_type="stream", name="stdout", text="2\n")
    def cell(src, i):
        src, outputs = (src, []) if isinstance(src, str) else (src[0], [src[1]])
        return dict(cell_type="code", id=f"c{i}", metadata={}, execution_count=None, source=src, outputs=outputs)
    def nb(*srcs):
        return dict(cells=[cell(s, i) for i, s in enumerate(srcs)], metadata={}, nbformat=4, nbformat_minor=5)
    f = "#| export\ndef f(x): return x + 1"
    cases = [(nb(f, "f(1)"), dict(blocks=1, shown=1, long=[])),
             (nb(f, "#| hide\nf(1)"), dict(blocks=1, shown=0, long=[])),
             (nb(f, "test_eq(f(1), 2)"), dict(blocks=1, shown=0, long=[])),
             (nb(f, "show_doc(f)"), dict(blocks=1, shown=0, long=[])),
             (nb(f, "show_doc(f)\nprint(f(1))"), dict(blocks=1, shown=1, long=[])),
             (nb(f, "g = f"), dict(blocks=1, shown=0, long=[])),
             (nb(f, ("with open('x'):\n    f(1)", out)), dict(blocks=1, shown=1, long=[])),       # printed inside f
             (nb(f, ("show_doc(f)", out)), dict(blocks=1, shown=0, long=[])),
             (nb(f, "#| export\nY = 2", "f(1)"), dict(blocks=1, shown=0, long=[])),
             (nb("#| export\nY = 2", "Y"), dict(blocks=0, shown=0, long=[])),
             (nb("#| exporti\n@patch\ndef g(self: int): return 1", "print(g(1))"), dict(blocks=1, shown=1, long=[])),
             (nb("#| export\nclass A:\n" + "    x = 1\n" * 80, "A.x"), dict(blocks=1, shown=1, long=[("c0", 82)]))]
    for n, want in cases:
        got = stats(n)
        assert {k: got[k] for k in want} == want, (n["cells"][0]["source"][:40], got)
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "fixture.ipynb"
        p.write_text(json.dumps(nb(f, "f(1)", "#| export\nclass B: pass")))
        with contextlib.redirect_stdout(io.StringIO()):
            assert report([p]) == (0, 2, 1)
    print(f"doc_stats selftest: {len(cases) + 1} fixture notebooks counted as expected")


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--selftest" in args:
        selftest()
        sys.exit(0)
    opt = lambda k, d: type(d)(args[args.index(k) + 1]) if k in args else d
    max_lines, min_frac = opt("--max", 80), opt("--min", 0.8)
    vals = {str(v) for k in ("--max", "--min") if k in args for v in [args[args.index(k) + 1]]}
    paths = [Path(a) for a in args if not a.startswith("-") and a not in vals] or sorted(
        p for p in NBS.glob("*.ipynb") if not p.name.startswith("_"))
    long, blocks, shown = report(paths, max_lines, verbose="-v" in args)
    if "--check" in args:
        ok = long == 0 and (not blocks or shown / blocks >= min_frac)
        print("doc_stats: ok" if ok else f"doc_stats: {long} export cells over {max_lines} lines, "
              f"{shown}/{blocks} definitions shown (want ≥ {min_frac:.0%})")
        sys.exit(0 if ok else 1)
