#!/usr/bin/env python
"""Execute notebooks as `nbdev-test` does and save their outputs into them: `python tools/save_outputs.py NB...`.

The cells run are the ones `nbdev-test` runs (nbdev's `nb_test_cells`: not `#| eval: false`, not the flags in
`tst_flags`, `#| slow` and `#| gpu`), in the working directory `nbs/`, with `IN_TEST=1`, the package of this checkout
first on the path, and `OMP_NUM_THREADS=1 MUJOCO_GL=egl WANDB_MODE=disabled`. Unlike `nbdev-test`, which runs them in
an in-process IPython shell, they run in a Jupyter kernel (nbclient + ipykernel): figures come back as PNG (at
`DPI`), and ipywidgets' state is stored in the notebook's metadata, so the docs page can show the widgets.
Skipped cells keep whatever output they had. The notebook is written only when every cell ran without error, then
cleaned with `nbdev-clean`; the tool checks that a second `nbdev-clean` leaves it unchanged (what CI requires).

`--timeout S`: seconds a cell may run (default: `cell_timeout` in pyproject.toml, else 600). `--longest N`: also
print the N cells that took longest (seconds, id, first line): where the test suite's time goes.
"""
import copy, json, os, subprocess, sys, time
from pathlib import Path

root = Path(__file__).resolve().parents[1]
DPI = 100         # PNG figures: matplotlib's default resolution, without the retina doubling


def _cfg():
    import tomllib
    return tomllib.loads((root / "pyproject.toml").read_text())["tool"]["nbdev"]


def run_cells(path: Path) -> set[str]:
    "Ids of the cells `nbdev-test` would run."
    from nbdev.test import nb_test_cells
    return {c.id for c in nb_test_cells(path, skip_flags=_cfg().get("tst_flags", "").split())}


def _env():
    env = dict(os.environ, OMP_NUM_THREADS="1", MUJOCO_GL="egl", WANDB_MODE="disabled", IN_TEST="1",
               PYTHONPATH=os.pathsep.join([str(root)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    env.pop("MPLBACKEND", None)          # the kernel's inline backend makes the figures
    return env


def _seconds(cell) -> float:
    "Wall seconds a cell took to execute, from the timing nbclient records in its metadata."
    from datetime import datetime
    ex = cell.get("metadata", {}).get("execution", {})
    a, b = ex.get("iopub.execute_input"), ex.get("shell.execute_reply")
    return (datetime.fromisoformat(b.replace("Z", "+00:00")) - datetime.fromisoformat(a.replace("Z", "+00:00"))).total_seconds() if a and b else 0.0


def save(path, timeout: int | None = None, longest: int = 0) -> float:
    "Execute the notebook at `path` and write its outputs back; returns seconds taken."
    import nbformat
    from nbclient import NotebookClient
    path, t0 = Path(path).resolve(), time.time()
    nb = nbformat.read(path, as_version=4)
    ids = run_cells(path)
    run = copy.deepcopy(nb)
    run.cells = [c for c in run.cells if c.get("id") in ids]
    setup = nbformat.v4.new_code_cell(
        "%matplotlib inline\n"
        "from matplotlib_inline.backend_inline import set_matplotlib_formats\n"
        f"set_matplotlib_formats('png')\nimport matplotlib as _mpl\n_mpl.rcParams['figure.dpi'] = {DPI}")
    run.cells.insert(0, setup)
    timeout = timeout or _cfg().get("cell_timeout", 600)
    old, env = dict(os.environ), _env()
    os.environ.clear()
    os.environ.update(env)               # the kernel inherits this process's environment
    try:
        NotebookClient(run, timeout=timeout, kernel_name="python3", store_widget_state=True,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    for c in sorted(run.cells[1:], key=_seconds, reverse=True)[:longest]:
        print(f"  {_seconds(c):7.1f} s  {c.id}  {c.source.splitlines()[0][:80] if c.source else ''}")
    outs = {c.id: c.outputs for c in run.cells[1:]}
    for c in nb.cells:
        if c.get("id") in outs:
            c.outputs = outs[c.id]
    widgets = run.metadata.get("widgets")
    if widgets:
        nb.metadata["widgets"] = widgets
    else:
        nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    clean = ["nbdev-clean", "--fname", str(path)]
    subprocess.run(clean, check=True, cwd=root)
    before = path.read_bytes()
    subprocess.run(clean, check=True, cwd=root)
    if path.read_bytes() != before:
        raise RuntimeError(f"{path.name}: a second nbdev-clean changed the notebook")
    return time.time() - t0


if __name__ == "__main__":
    args = sys.argv[1:]
    opt = lambda k: int(args[args.index(k) + 1]) if k in args else None
    t, longest = opt("--timeout"), opt("--longest") or 0
    nbs = [a for i, a in enumerate(args) if not a.startswith("--") and (i == 0 or args[i - 1] not in ("--timeout", "--longest"))]
    for p in nbs:
        s = save(p, t, longest)
        n = json.loads(Path(p).read_text())
        print(f"{Path(p).name}: outputs saved in {s:.0f} s, {Path(p).stat().st_size / 1e3:.0f} kB, "
              f"{sum(bool(c.get('outputs')) for c in n['cells'])} cells with output")
