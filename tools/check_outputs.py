#!/usr/bin/env python
"""Check that the documentation pages show results: every visible code cell that displays something has a saved output.

    python tools/check_outputs.py [NB...]     every such cell without output in NB (default: all); exit 1 if any
    python tools/check_outputs.py --listed    the same, only for the notebooks listed in tools/saved_outputs.txt (CI)
    python tools/check_outputs.py --count     per notebook: visible displaying cells, how many have output, how many not
    python tools/check_outputs.py --selftest  the checker fails on a notebook whose visible example has no output

A cell is *visible* when its page shows its code: not `#| hide`, `#| include: false`, `#| echo: false` (output only:
still checked) and not an export-only cell (`#| export`, `#| exporti`: nbdev shows their names through `show_doc`,
not their code; `#| exports` shows the code and is checked). Cells that the tests do not run (`#| eval: false`, and
the flags in `tst_flags`, `#| slow` and `#| gpu`) and cells whose output the page hides (`#| output: false`) are
skipped.

A cell *displays something* (a heuristic on its syntax tree, nothing is executed) when it
- ends with an expression that Jupyter displays: anything but a call of a function whose name starts with `test_`
  or is in `QUIET` (functions that return None, or whose result is not meant to be shown), and not ended by `;`; or
- calls, anywhere outside a function or class body, `print`, `display`, `show_doc`, `plt.show`, or makes a figure
  (`plt.figure`, `plt.subplots`, a `plot_*` function of this package).
Code under `if`/`try` counts as well, so a cell that displays only when an optional package is installed is a
false positive: list its id after the notebook in `tools/saved_outputs.txt` (`NB.ipynb  id1 id2  # why`).

`tools/saved_outputs.txt` lists the notebooks whose outputs are saved (`tools/save_outputs.py` writes them); CI
enforces only those, so notebooks saved later are added there.
"""
import ast, json, re, sys, tempfile
from pathlib import Path

root = Path(__file__).resolve().parents[1]
NBS = root / "nbs"
LISTED = root / "tools" / "saved_outputs.txt"
QUIET = {"close", "savefig", "append", "extend", "update", "add", "write_text", "write_bytes", "mkdir", "unlink",
         "rmtree", "seed", "manual_seed", "set_seed", "seed_everything", "setdefault", "sleep", "clear", "remove",
         "insert", "pop", "touch", "rename", "chdir", "makedirs", "load_state_dict", "manual_seed_all", "wait",
         "tight_layout", "set_matplotlib_formats", "filterwarnings", "simplefilter", "fill_", "zero_", "copy_"}
SHOWS = {"print", "display", "show_doc", "show", "imshow"}
FIGURE = {"figure", "subplots", "subplot"}
DIRECTIVE = re.compile(r"^\s*#\|\s*([\w-]+)\s*:?\s*(.*?)\s*$")


def directives(src: str) -> dict[str, str]:
    "The cell's `#| name: value` / `#| name` directives."
    return {m.group(1): m.group(2) for l in src.splitlines() if (m := DIRECTIVE.match(l))}


def _flags() -> set[str]:
    try:
        import tomllib
        return set(tomllib.loads((root / "pyproject.toml").read_text())["tool"]["nbdev"].get("tst_flags", "").split())
    except Exception:
        return {"slow", "gpu"}


def _name(f) -> str:
    return f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")


def _calls(tree):
    "Calls outside function, lambda and class bodies."
    todo = list(tree.body)
    while todo:
        n = todo.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(n, ast.Call):
            yield n
        todo.extend(ast.iter_child_nodes(n))


def displays(src: str) -> bool:
    "Whether a cell's code displays something (the heuristic in the module docstring)."
    code = "\n".join(l for l in src.splitlines() if not l.lstrip().startswith(("#|", "%", "!")))
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    if not tree.body:
        return False
    last = tree.body[-1]
    if isinstance(last, ast.Expr) and not code.rstrip().endswith(";"):
        v = last.value
        if not (isinstance(v, ast.Call) and (_name(v.func).startswith("test_") or _name(v.func) in QUIET
                                             or _name(v.func) in SHOWS)) \
                and not (isinstance(v, ast.Constant) and isinstance(v.value, str)):
            return True
    for c in _calls(tree):
        n = _name(c.func)
        if n in SHOWS or n.startswith("plot_") or (n in FIGURE and _name(getattr(c.func, "value", None)) == "plt"):
            return True
    return False


def shown_cells(nb: dict) -> list[tuple[int, dict]]:
    "The (index, cell) pairs of visible, executed code cells that display something."
    skip, out = _flags(), []
    for i, c in enumerate(nb["cells"]):
        if c["cell_type"] != "code":
            continue
        src = "".join(c["source"])
        d = directives(src)
        hidden = ("hide" in d or d.get("include") == "false" or d.get("eval") == "false"
                  or d.get("output") == "false" or {"export", "exporti"} & d.keys() or skip & d.keys())
        if not hidden and displays(src):
            out.append((i, c))
    return out


def exempt() -> dict[str, set[str]]:
    "{notebook: exempt cell ids} from tools/saved_outputs.txt."
    out = {}
    for line in LISTED.read_text().splitlines():
        words = line.split("#", 1)[0].split()
        if words:
            out[words[0]] = set(words[1:])
    return out


def missing(path, ok_ids=()) -> list[str]:
    "Problems: visible displaying cells of the notebook at `path` without saved output (cells in `ok_ids` excepted)."
    nb = json.loads(Path(path).read_text())
    return [f"{Path(path).name} cell {i} (id {c.get('id')}): no saved output for\n    "
            + "\n    ".join("".join(c["source"]).splitlines()[:4])
            for i, c in shown_cells(nb) if not c.get("outputs") and c.get("id") not in ok_ids]


def counts(path) -> tuple[int, int]:
    "(visible displaying cells, those with saved output)."
    cells = shown_cells(json.loads(Path(path).read_text()))
    return len(cells), sum(bool(c.get("outputs")) for _, c in cells)


def selftest():
    "The checker flags a visible example without output, and accepts it once it has one, or when it is hidden."
    cell = lambda src, outputs=(): dict(cell_type="code", id="c1", metadata={}, execution_count=None,
                                        source=src, outputs=list(outputs))
    out = dict(output_type="stream", name="stdout", text="3\n")
    cases = [(cell("x = 1 + 2\nx"), 1), (cell("print(3)"), 1),
             (cell("import matplotlib.pyplot as plt\nplt.plot([1])"), 1), (cell("x = 1 + 2\nx", [out]), 0),
             (cell("#| hide\nx = 3\nx"), 0), (cell("#| export\ndef f(): print(1)"), 0),
             (cell("#| slow\nprint(3)"), 0), (cell("x = 3\ntest_eq(x, 3)"), 0), (cell("def f():\n    print(3)"), 0),
             (cell("x = 3;\nx;"), 0)]
    with tempfile.TemporaryDirectory() as d:
        for c, want in cases:
            p = Path(d) / "fixture.ipynb"
            p.write_text(json.dumps(dict(cells=[c], metadata={}, nbformat=4, nbformat_minor=5)))
            got = missing(p)
            assert len(got) == want, (c["source"], got)
    print(f"check_outputs selftest: {len(cases)} fixture notebooks judged as expected")


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--selftest" in args:
        selftest()
        sys.exit(0)
    ex = exempt()
    if "--listed" in args:
        nbs = [NBS / n for n in ex]
    else:
        nbs = [Path(a) for a in args if not a.startswith("--")] or sorted(
            p for p in NBS.glob("*.ipynb") if not p.name.startswith("_"))
    if "--count" in args:
        tot = [0, 0]
        for p in nbs:
            n, s = counts(p)
            tot[0], tot[1] = tot[0] + n, tot[1] + s
            print(f"{p.name:24} {n:4} displaying  {s:4} with output  {n - s:4} without")
        print(f"{'all':24} {tot[0]:4} displaying  {tot[1]:4} with output  {tot[0] - tot[1]:4} without")
        sys.exit(0)
    problems = [m for p in nbs for m in missing(p, ex.get(p.name, ()))]
    print("\n".join(problems) or f"saved outputs: every visible displaying cell of {len(nbs)} notebooks has one")
    sys.exit(1 if problems else 0)
