#!/usr/bin/env python
"""Run the part of `nbdev-docs` that comes before Quarto, without Quarto: `python tools/proc_docs.py`.

`nbdev-docs` (nbdev 3, `nbdev.quarto.nbdev_docs`) first calls `_pre_docs`: it refreshes `nbs/nbdev.yml`, builds
`_modidx.py`, writes the sidebar (unless `custom_sidebar`), and runs `proc_nbs`, which processes every notebook
into `_proc/` with nbdev's `FilterDefaults`. One of those processors, `exec_show_docs`, executes the cells that
define or import something (export cells, and every cell that holds an `import` anywhere) so that `show_doc`
can render; a cell that also uses a name from a cell it does not run fails with a `NameError`, and the docs do
not build. Only then does `nbdev-docs` render with Quarto. `_pre_docs` also installs Quarto when it is missing;
this tool calls the same `_pre_docs` with that step left out, so it checks exactly what the deploy workflow
processes, on a machine without Quarto.

`--each NB...` processes the named notebooks (default: all) one at a time in this process and prints every
notebook's error instead of stopping at the first; nothing is written.
"""
import os, sys, time, traceback, warnings
from pathlib import Path

root = Path(__file__).resolve().parents[1]


def pre_docs(n_workers: int = 2) -> Path:
    "nbdev's `_pre_docs` (what `nbdev-docs` runs before Quarto) without installing Quarto; returns `_proc/`."
    import nbdev.quarto as q
    # nbdev warns about every cell that mixes imports and other code; the spawned workers inherit this filter
    os.environ.setdefault("PYTHONWARNINGS", "ignore:Found cells containing imports")
    q._ensure_quarto = lambda: None
    return q._pre_docs(path=str(root / "nbs"), n_workers=n_workers)[0]


def each(nbs) -> dict[str, str]:
    "Process each notebook as `proc_nbs` does (`FilterDefaults`, with IN_TEST set); {name: error} of those that fail."
    from fastcore.nbio import read_nb
    from nbdev.processors import FilterDefaults
    os.chdir(root)
    bad = {}
    for p in nbs:
        os.environ["IN_TEST"] = "1"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                FilterDefaults()(read_nb(p))
        except Exception as e:
            bad[Path(p).name] = "".join(traceback.format_exception_only(e)).strip()
        finally:
            del os.environ["IN_TEST"]
    return bad


if __name__ == "__main__":
    t0 = time.time()
    if "--each" in sys.argv:
        names = sys.argv[sys.argv.index("--each") + 1:]
        every = sorted(p for p in (root / "nbs").glob("*.ipynb") if not p.name.startswith("_"))
        nbs = [Path(n) for n in names] or every
        bad = each(nbs)
        for n, e in bad.items():
            print(f"{n}: {e[-1500:]}\n")
        print(f"{len(nbs) - len(bad)} of {len(nbs)} notebooks processed clean in {time.time() - t0:.0f} s")
        sys.exit(1 if bad else 0)
    cache = pre_docs()
    print(f"nbdev's pre-Quarto processing: {len(list(cache.glob('*.ipynb')))} notebooks into {cache} "
          f"in {time.time() - t0:.0f} s")
