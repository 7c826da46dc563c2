"""The steps of tools/gpu_check.sh, one subcommand each; plain Python, no nbdev, no console scripts (the GPU machine
runs the package from its source tree). `python tools/gpu_check.py STEP --help` lists a step's arguments.

  versions                       Python, torch, CUDA, GPU and the packages the steps import
  speed   WORK [--tiny]          (1) flow-mbpo-bench speed on ant: both 5 M presets, fp32 / TF32 / bf16, eager
  cells   WORK NB...             (2) the `#| gpu` cells of notebooks, each after the cells it needs (below)
  compile WORK [--fallback-random] [--presets a,b]   (3) eager against torch.compile, bf16, interleaved
  run     WORK SECONDS           (4) a pwm_5M_baseline run on ant sized to SECONDS; its curve and env steps/s
  profile WORK                   one profiled epoch of pwm_5M_baseline: where the time goes
  report  WORK OUT               summary.md and speed.csv into OUT from what the steps left in WORK

`--tiny` (and `--device cpu`) makes every step a seconds-long dry run on a CPU: tiny networks, 4 envs.

How `cells` runs a `#| gpu` cell without nbdev: it reads the notebook's JSON, takes the gpu cell and, walking back,
every earlier exported cell whole (`#| export`: the module's own code, patches included) and, from the other cells,
each top-level statement that binds a name the code taken so far reads (assignments, imports, defs; found with `ast`),
skipping `#| slow` and `#| eval: false` cells; it runs them in one namespace in notebook order, then the gpu cell.
(Statements, not whole cells: a slow or timing-sensitive test that also defines a helper is not run.) Before a gpu
cell runs, every name it reads must be bound: on a CPU, where the cells themselves skip (`torch.cuda.is_available()`
is false), this is what the dry run checks. `from nbdev... import` works without nbdev (a stub: show_doc prints nothing).
"""
from __future__ import annotations
import argparse, ast, builtins, json, os, sys, time, traceback, types
from pathlib import Path

TINY = ["env.num_envs=4", "train.horizon=4", "train.wm_batch_size=8", "train.wm_iterations=2",
        "train.critic_iterations=1", "wm.latent_dim=16", "wm.encoder_units=[16]", "wm.units=[16,16]",
        "actor.units=[16]", "critic.units=[16]", "train.wm_buffer_size=4000"]
PRESETS = ["pwm_5M_baseline", "pwm_5M_flow_k4_heun"]


def _dev(a) -> list[str]:
    return [f"device={a.device}"] + (TINY if a.tiny else [])


def cmd_versions(a):
    import platform, importlib
    import torch
    from flow_mbpo.bench import git_commit
    print(f"flow_mbpo commit {os.environ.get('GIT_COMMIT') or git_commit()}")
    print(f"python {platform.python_version()} ({sys.executable}); torch {torch.__version__}, CUDA {torch.version.cuda},"
          f" cuda available {torch.cuda.is_available()}"
          + (f", {torch.cuda.get_device_name()}, {torch.cuda.get_device_properties(0).total_memory / 2**30:.0f} GiB,"
             f" {torch.cuda.get_device_properties(0).multi_processor_count} SMs" if torch.cuda.is_available() else ""))
    for m in ("numpy", "pandas", "scipy", "matplotlib", "mujoco", "dm_control", "fastcore", "submitit", "rliable", "lxml",
              "yaml", "triton", "flow_mbpo"):
        try:
            mod = importlib.import_module(m)
            v = getattr(mod, "__version__", None)
            if v is None:
                from importlib.metadata import version
                v = version({"dm_control": "dm_control", "yaml": "pyyaml"}.get(m, m))
            print(f"  {m} {v} ({Path(mod.__file__).parent})")
        except Exception as e:                                  # noqa: BLE001  (report and go on)
            print(f"  {m}: NOT importable: {type(e).__name__}: {e}")


def cmd_speed(a):
    from flow_mbpo.bench import bench_speed
    bench_speed(a.presets.split(","), a.env, a.epochs, a.warmup, a.options.split(";"), out=Path(a.work) / "speed",
                overrides=_dev(a))


def cmd_compile(a):
    import torch._inductor.config as ic
    from flow_mbpo.bench import bench_speed
    ic.fallback_random = a.fallback_random
    if a.backend != "inductor":                   # the dry run: the same graphs captured, no C++ / Triton compilation
        import functools, torch
        torch.compile = functools.partial(torch.compile, backend=a.backend)
    print(f"torch._inductor.config.fallback_random = {ic.fallback_random}, backend {a.backend}", flush=True)
    bench_speed(a.presets.split(","), a.env, a.epochs, a.warmup, a.options.split(";"),
                out=Path(a.work) / f"compile_fr{int(a.fallback_random)}", overrides=_dev(a))


# ---------------------------------------------------------------- (2) the `#| gpu` cells without nbdev
def _flags(src: str) -> set[str]:
    out = set()
    for line in src.splitlines():
        s = line.strip()
        if not s.startswith("#|"): break
        out.add(" ".join(s[2:].split()))
    return out


def _scope_names(tree) -> tuple[set[str], set[str]]:
    "(names the cell binds at its top level, names it reads that it binds nowhere)"
    top, stored, loads = set(), set(), set()

    def visit(node, nested):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            (stored if nested else top).add(node.name)
            if not isinstance(node, ast.ClassDef):
                for arg in ast.walk(node.args):
                    if isinstance(arg, ast.arg): stored.add(arg.arg)
            for d in getattr(node, "decorator_list", []): visit(d, nested)
            for c in node.body: visit(c, True)
            return
        if isinstance(node, ast.Lambda):
            for arg in ast.walk(node.args):
                if isinstance(arg, ast.arg): stored.add(arg.arg)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for al in node.names:
                if al.name != "*": (stored if nested else top).add((al.asname or al.name).split(".")[0])
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load): loads.add(node.id)
            else: (stored if nested else top).add(node.id)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            nested = True
        for c in ast.iter_child_nodes(node): visit(c, nested)

    visit(tree, False)
    return top, loads - top - stored - set(dir(builtins))


def _parse(src: str):
    lines = [("pass" if ln.lstrip().startswith(("%", "!")) else ln) for ln in src.splitlines()]   # no IPython magics
    code = "\n".join(lines)
    return code, ast.parse(code)


def _install_nbdev_stub():
    try:
        import nbdev.showdoc  # noqa: F401
    except ImportError:
        nbdev, sd = types.ModuleType("nbdev"), types.ModuleType("nbdev.showdoc")
        sd.show_doc = lambda *a, **k: None
        nbdev.showdoc = sd
        sys.modules.update({"nbdev": nbdev, "nbdev.showdoc": sd})


def run_gpu_cells(nb: Path, flag: str = "gpu") -> list[dict]:
    """Run the `#| {flag}` cells of notebook `nb`, each after what it needs: every exported cell whole, and from the
    other cells before it only the top-level statements that bind a name needed (so a slow or timing-sensitive test
    that happens to define a helper does not run); a failing setup statement is reported and skipped."""
    allc = json.loads(nb.read_text())["cells"]
    idx = [k for k, c in enumerate(allc) if c["cell_type"] == "code"]    # the notebook's own cell numbers
    srcs = ["".join(allc[k]["source"]) for k in idx]
    flags = [_flags(s) for s in srcs]
    gpu = [i for i, f in enumerate(flags) if flag in f]
    units = []                                          # (code cell, AST module, binds, reads) in notebook order
    for i, (src, f) in enumerate(zip(srcs, flags)):
        if i > max(gpu, default=-1) or {"slow", "gpu", "eval: false", "eval:false"} & f: continue
        try: tree = _parse(src)[1]
        except SyntaxError: continue
        whole = bool(f & {"export", "exporti", "exports"})
        for m in [tree] if whole else [ast.Module(body=[st], type_ignores=[]) for st in tree.body]:
            units.append((i, m, whole, *_scope_names(m)))
    take = set()
    for g in gpu:
        need = _scope_names(_parse(srcs[g])[1])[1]
        for u in range(len(units) - 1, -1, -1):
            i, _, whole, binds, reads = units[u]
            if i < g and (whole or binds & need):
                take.add(u)
                need |= reads
    cells_used = sorted({idx[units[u][0]] for u in take})
    print(f"{nb.name}: {len(gpu)} `#| {flag}` cell(s), run after {len(take)} statements or exported cells from "
          f"cells {cells_used}", flush=True)
    _install_nbdev_stub()
    ns = {"__name__": "__main__"}
    cwd = os.getcwd()
    os.chdir(nb.parent)                                     # notebooks read files relative to nbs/
    rows, failed = [], []
    try:
        t0 = time.perf_counter()
        for u in sorted(take):
            i, m = units[u][:2]
            try: exec(compile(m, f"{nb.name}[{idx[i]}]", "exec"), ns)
            except Exception:                                # noqa: BLE001
                traceback.print_exc()
                failed.append(idx[i])
        print(f"  setup: {time.perf_counter() - t0:.1f} s" + (f"; statements failed in cells {failed}" if failed else ""),
              flush=True)
        for g in gpu:
            code, tree = _parse(srcs[g])
            unbound = sorted(n for n in _scope_names(tree)[1] if n not in ns)
            if unbound:
                rows.append(dict(notebook=nb.name, cell=idx[g], status=f"FAIL (unbound: {', '.join(unbound)})",
                                 seconds=0.0))
                print(f"  cell {idx[g]}: names not bound by the cells before it: {unbound}", flush=True)
                continue
            t0 = time.perf_counter()
            try:
                exec(compile(code, f"{nb.name}[{idx[g]}]", "exec"), ns)
                status = "ok"
            except Exception as e:                           # noqa: BLE001
                traceback.print_exc()
                status = f"FAIL ({type(e).__name__}: {' '.join(str(e).split())[:200]})"
            rows.append(dict(notebook=nb.name, cell=idx[g], status=status, seconds=time.perf_counter() - t0))
            print(f"  cell {idx[g]}: {status} in {rows[-1]['seconds']:.1f} s", flush=True)
    finally:
        os.chdir(cwd)
    return rows


def cmd_cells(a):
    "Each notebook in turn; cells.json is rewritten after each, so a time limit keeps the rows of those done."
    import torch
    cuda, out = torch.cuda.is_available(), Path(a.work) / "cells.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    todo = [dict(notebook=Path(nb).name, cell="-", status="not reached (time limit?)", seconds=0.0, ran_on_cuda=cuda)
            for nb in a.notebooks]
    done = []
    out.write_text(json.dumps(todo, indent=1))
    for k, nb in enumerate(a.notebooks):
        done += [dict(r, ran_on_cuda=cuda) for r in run_gpu_cells(Path(nb))]
        rows = done + todo[k + 1:]
        out.write_text(json.dumps(rows, indent=1))
    sys.exit(0 if all(r["status"] == "ok" for r in rows) else 1)


# ---------------------------------------------------------------- (4) a real run, its curve and env steps/s
def cmd_run(a):
    """PWM's recipe as it is (`train.epochs` 15 000 unless `--epochs`), stopped by tools/gpu_check.sh's SIGTERM when
    its time is up: the trainer finishes the epoch, writes its checkpoint and returns. Prints the expected epochs."""
    from flow_mbpo.train import run
    work = Path(a.work)
    per_epoch, src = None, ""
    speed = work / "speed" / "speed.csv"
    if speed.exists():
        import pandas as pd
        df = pd.read_csv(speed)
        g = df[(df.preset == a.preset) & (df.options == "amp=none")]     # the preset's defaults (TF32 on CUDA)
        if len(g): per_epoch, src = float(g.seconds.median()), f"step (1), {a.preset} amp=none"
    ov = ["env.name=ant", *_dev(a), f"log.root={work / 'run'}", "log.experiment=gpu_check", "log.progress=true",
          "log.wandb=disabled", *([f"train.epochs={a.epochs}"] if a.epochs else []), *a.overrides]
    if per_epoch:
        print(f"run: {per_epoch:.3f} s per training epoch ({src}): about {a.seconds / per_epoch:,.0f} epochs in the "
              f"{a.seconds:.0f} s given, before the warm-up and evaluations", flush=True)
    (work / "run_request.json").write_text(json.dumps(dict(preset=a.preset, overrides=ov, epoch_s=per_epoch)))
    t0 = time.perf_counter()
    res = run(a.preset, ov)
    print(f"run: {res.status} after {res.epochs} epochs, {res.env_steps:,} env steps, {time.perf_counter() - t0:.0f} s;"
          f" {res.run_dir}", flush=True)


def run_stats(run_dir: Path) -> dict:
    from flow_mbpo.rundir import read_jsonl
    m = read_jsonl(run_dir / "metrics.jsonl")
    if not m: return {}
    last, tr = m[-1], [r for r in m if r.get("phase") == "train"]
    out = dict(epochs=len(m), env_steps=last["env_steps"], wall_s=last["wall_time"],
               env_steps_per_s=last["env_steps"] / max(last["wall_time"], 1e-9),
               last_train_return=last.get("train_return"))
    if len(tr) >= 2:
        out["train_phase_env_steps_per_s"] = ((tr[-1]["env_steps"] - tr[0]["env_steps"])
                                              / max(tr[-1]["wall_time"] - tr[0]["wall_time"], 1e-9))
    return out


def curve(run_dir: Path, png: Path, title: str):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from flow_mbpo.rundir import read_jsonl
    m, ev = read_jsonl(run_dir / "metrics.jsonl"), read_jsonl(run_dir / "eval.jsonl")
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.6))
    x = [r["env_steps"] for r in m]
    ax[0].plot(x, [r.get("train_return") for r in m], label="training return (last 100 episodes)")
    if ev: ax[0].plot([r["env_steps"] for r in ev], [r["det_mean"] for r in ev], "o-", label="evaluation (det.)")
    ax[0].set(xlabel="env steps", ylabel="return")
    ax[0].legend(fontsize=8)
    ax[1].plot([r["wall_time"] for r in m], x)
    ax[1].set(xlabel="wall seconds", ylabel="env steps")
    s = run_stats(run_dir)
    ax[1].set_title(f"{s.get('env_steps_per_s', float('nan')):,.0f} env steps/s end to end", fontsize=9)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(png, dpi=110)


# ---------------------------------------------------------------- profile one epoch
def cmd_profile(a):
    import torch
    from torch.profiler import profile, ProfilerActivity
    from flow_mbpo.bench import SPEED_FAST_START
    from flow_mbpo.config import get_config
    from flow_mbpo.train import Trainer
    cfg = get_config(a.preset, ["env.name=ant", *_dev(a), *SPEED_FAST_START, f"log.root={Path(a.work) / 'profile'}",
                                *a.overrides])
    tr = Trainer(cfg)
    tr.open()
    cuda = tr.device.type == "cuda"
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    try:
        for e in range(3): tr.after_epoch(e, tr.run_epoch(e))
        sync()
        acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
        t0 = time.perf_counter()
        with profile(activities=acts) as prof:
            tr.after_epoch(3, tr.run_epoch(3))
            sync()
        wall = time.perf_counter() - t0
    finally:
        tr.close("finished")
    ka = prof.key_averages()
    text = [f"one profiled epoch of {a.preset} on {tr.device} ({cfg.train.amp}, tf32 {cfg.train.tf32}): {wall:.3f} s wall"]
    if cuda:
        busy = sum(e.self_device_time_total for e in ka) / 1e6
        text += [f"GPU kernels and copies: {busy:.3f} s ({busy / wall:.0%} of the wall time)", "",
                 ka.table(sort_by="self_device_time_total", row_limit=25, max_name_column_width=60)]
    text += ["", ka.table(sort_by="self_cpu_time_total", row_limit=20, max_name_column_width=60)]
    (Path(a.work) / "profile.txt").write_text("\n".join(text))
    print("\n".join(text[:3]))


# ---------------------------------------------------------------- the report
def cmd_report(a):
    import pandas as pd
    work, out = Path(a.work), Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    parts, csvs = [f"# tools/gpu_check.sh{' --cpu-dry-run' if a.dry else ''}, {time.strftime('%Y-%m-%d %H:%M %Z')}",
                   ""], []
    head = work / "versions.txt"
    if head.exists(): parts += ["```", head.read_text().strip(), "```", ""]
    def table(d, title):
        md = work / d / "speed.md"
        parts.extend([f"## {title}", "", md.read_text().strip() if md.exists() else "(no result: see log.txt)", ""])
        if (work / d / "speed.csv").exists():
            df = pd.read_csv(work / d / "speed.csv")
            df.insert(0, "table", d)
            csvs.append(df)
    table("speed", "(1) speed, eager: fp32 (tf32=0), TF32 (the CUDA default), bf16")
    try:                                                    # the flow preset's epoch against the baseline's (goal: <= 2x)
        df = pd.read_csv(work / "speed" / "speed.csv")
        m = df.groupby(["options", "preset"]).seconds.mean().unstack()
        if {"pwm_5M_baseline", "pwm_5M_flow_k4_heun"} <= set(m.columns):
            parts += ["flow ÷ baseline, s/epoch (goal: at most 2): " + ", ".join(
                f"`{o}` {r.pwm_5M_flow_k4_heun / r.pwm_5M_baseline:.2f}" for o, r in m.iterrows()), ""]
    except (OSError, KeyError, ValueError):
        pass
    cells = work / "cells.json"
    parts += ["## (2) the `#| gpu` cells", ""]
    if cells.exists():
        rows = json.loads(cells.read_text())
        parts += ["| notebook | cell | on CUDA | status | seconds |", "|---|---:|---|---|---:|"]
        parts += [f"| {r['notebook']} | {r['cell']} | {r.get('ran_on_cuda')} | {r['status']} | {r['seconds']:.1f} |"
                  for r in rows]
    else: parts.append("(no result: see log.txt)")
    parts.append("")
    table("compile_fr0", "(3) eager against torch.compile, bf16, fallback_random off")
    table("compile_fr1", "(3) the same with torch._inductor.config.fallback_random = True")
    if csvs: pd.concat(csvs).to_csv(out / "speed.csv", index=False)
    # the cost of fallback_random: compiled / eager of each process, then the ratio of the two
    try:
        r = {}
        for fr in (0, 1):
            df = pd.read_csv(work / f"compile_fr{fr}" / "speed.csv")
            for p, g in df.groupby("preset"):
                e, c = g[g.options == "amp=bf16"].seconds.mean(), g[g.options == "amp=bf16,compile=1"].seconds.mean()
                r[(p, fr)] = (e, c)
        lines = []
        for p in sorted({p for p, _ in r}):
            if (p, 0) in r and (p, 1) in r:
                (e0, c0), (e1, c1) = r[(p, 0)], r[(p, 1)]
                lines.append(f"- {p}: s/epoch compiled ÷ eager (means) {c0 / e0:.2f} without fallback_random, "
                             f"{c1 / e1:.2f} with; "
                             f"fallback_random costs the compiled epoch {(c1 / e1) / (c0 / e0) - 1:+.0%} (each ratio "
                             f"against the eager epochs interleaved with it)")
        if lines: parts += ["## (3) the cost of fallback_random", "", *lines, ""]
    except (OSError, KeyError, ValueError):
        pass
    runs = sorted((work / "run").glob("*/*/metrics.jsonl"))
    parts += ["## (4) pwm_5M_baseline on ant for the time left (stopped by SIGTERM)", ""]
    if runs:
        rd = runs[-1].parent
        s = run_stats(rd)
        req = json.loads((work / "run_request.json").read_text()) if (work / "run_request.json").exists() else {}
        parts += [f"run directory {rd.name}; overrides {' '.join(req.get('overrides', []))}", "",
                  f"**{s.get('env_steps_per_s', 0):,.0f} env steps/s end to end** ({s.get('env_steps', 0):,} env steps in "
                  f"{s.get('wall_s', 0):.0f} s, {s.get('epochs', 0)} epochs, the warm-up included); "
                  f"training epochs alone: {s.get('train_phase_env_steps_per_s', float('nan')):,.0f} env steps/s; "
                  f"last training return {s.get('last_train_return')}. At the end-to-end rate PWM's 30.7 M env steps "
                  f"take {30_720_000 / max(s.get('env_steps_per_s', 1e-9), 1e-9) / 60:,.0f} min (goal: 20 min, "
                  f"25 000 env steps/s)."]
        import shutil
        shutil.copy(rd / "metrics.jsonl", out / "run_metrics.jsonl")
        try: curve(rd, out / "run_curve.png", f"pwm_5M_baseline on ant, {rd.name}")
        except Exception as e:                               # noqa: BLE001
            parts.append(f"(curve failed: {e})")
    else: parts.append("(no run: see log.txt)")
    prof = work / "profile.txt"
    if prof.exists():
        import shutil
        shutil.copy(prof, out / "profile.txt")
        parts += ["", "## One profiled epoch (profile.txt)", "", "```", *prof.read_text().splitlines()[:2], "```"]
    (out / "summary.md").write_text("\n".join(parts) + "\n")
    print("\n".join(parts))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    def parser(name, *args, device=True, **opts):
        "A subcommand with positional `args` and `--options` (name: default, or a dict of add_argument keywords)."
        p = sub.add_parser(name)
        for x in args:
            name, kw = (x, {}) if isinstance(x, str) else x
            p.add_argument(name, **kw)
        if device:
            p.add_argument("--device", default="cuda")
            p.add_argument("--tiny", action="store_true")
        for k, v in opts.items():
            p.add_argument("--" + k.replace("_", "-"), **(v if isinstance(v, dict) else dict(default=v, type=type(v))))
        return p

    bench = dict(presets=",".join(PRESETS), env="ant")
    parser("versions", device=False)
    parser("speed", "work", **bench, epochs=4, warmup=1, options="amp=none,tf32=0;amp=none;amp=bf16")
    parser("compile", "work", **bench, epochs=3, warmup=2, options="amp=bf16;amp=bf16,compile=1",
           fallback_random=dict(action="store_true"),
           backend=dict(default="inductor", help="torch.compile's backend (the CPU dry run: aot_eager)"))
    parser("cells", "work", ("notebooks", dict(nargs="+")), device=False)
    parser("run", "work", ("seconds", dict(type=float, help="the time the script gives the run (for the estimate)")),
           preset="pwm_5M_baseline", epochs=dict(type=int), overrides=dict(nargs="*", default=[]))
    parser("profile", "work", preset="pwm_5M_baseline", overrides=dict(nargs="*", default=[]))
    parser("report", "work", "out", device=False, dry=dict(action="store_true"))
    a = ap.parse_args()
    globals()[f"cmd_{a.cmd}"](a)


if __name__ == "__main__":
    main()
