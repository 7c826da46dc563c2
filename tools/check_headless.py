#!/usr/bin/env python
"""Execute a notebook headless, as `jupyter nbconvert --execute` does (nbclient, a fresh ipykernel, widget state
stored), and check that it neither stalls nor leaves files behind:

    python tools/check_headless.py nbs/15_explore.ipynb [--max-idle 60] [--timeout 900]

It runs in `nbs/` with `OMP_NUM_THREADS=1 MUJOCO_GL=egl WANDB_MODE=disabled` and a private, empty `TMPDIR` (so what
the notebook leaves in the temporary folder is exactly what is found there afterwards). *Idle* is the wall time of
the whole execution (kernel start, every cell, kernel shutdown) minus the time the cells ran (nbclient's
`execute_input` to `execute_reply`), i.e. time spent waiting between cells and around the kernel. It fails when idle
exceeds `--max-idle` seconds, a cell fails, or anything is left in `TMPDIR` except the `torchinductor_<user>` cache
folder that importing torch's compiler creates (shared between runs and empty here).
"""
import datetime as dt, os, shutil, sys, tempfile, time
from pathlib import Path


def run(path, timeout=900):
    "Execute; returns (wall s, cell s, max gap s between cells, leftovers in TMPDIR)."
    import nbformat
    from nbclient import NotebookClient
    path = Path(path).resolve()
    nb = nbformat.read(path, as_version=4)
    tmp = Path(tempfile.mkdtemp(prefix="check_headless_"))
    old = dict(os.environ)
    os.environ.update(OMP_NUM_THREADS="1", MUJOCO_GL="egl", WANDB_MODE="disabled", TMPDIR=str(tmp),
                      PYTHONPATH=os.pathsep.join([str(path.parents[1])] + [p for p in [old.get("PYTHONPATH")] if p]))
    t0 = time.time()
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=True, record_timing=True,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        wall = time.time() - t0
        left = sorted(p.name for p in tmp.iterdir() if not p.name.startswith("torchinductor_"))
    finally:
        os.environ.clear()
        os.environ.update(old)
        shutil.rmtree(tmp, ignore_errors=True)
    ts = lambda s: dt.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
    spans = [(ts(e["iopub.execute_input"]), ts(e["shell.execute_reply"]))
             for c in nb.cells if (e := c.get("metadata", {}).get("execution"))]
    busy = sum(b - a for a, b in spans)
    gap = max([0.0] + [a2 - b1 for (_, b1), (a2, _) in zip(spans, spans[1:])])
    return wall, busy, gap, left


if __name__ == "__main__":
    args = sys.argv[1:]
    opt = lambda k, d: float(args[args.index(k) + 1]) if k in args else d
    nb = next(a for i, a in enumerate(args) if not a.startswith("--") and (i == 0 or not args[i - 1].startswith("--")))
    wall, busy, gap, left = run(nb, int(opt("--timeout", 900)))
    idle = wall - busy
    print(f"{Path(nb).name}: {wall:.0f} s in all, cells ran {busy:.0f} s, idle {idle:.0f} s "
          f"(longest wait between two cells {gap:.1f} s); left in TMPDIR: {left or 'nothing'}")
    sys.exit(1 if idle > opt("--max-idle", 60) or left else 0)
