#!/usr/bin/env python
"""Calibrate the quick presets: run each over three seeds (one at a time, through `flow-mbpo-train` as the README
does), measure a uniform random policy's return on the same task with the same evaluation, and write the numbers
(`nbs/images/quick_dmc.json`) and the learning curves (`nbs/images/quick_dmc.png`).

    OMP_NUM_THREADS=1 nice -n 10 python tools/quick_calibrate.py [--seeds 0 1 2] [--presets quick_dmc_baseline ...]
"""
import argparse, json, subprocess, tempfile, time
from pathlib import Path
import numpy as np
from flow_mbpo.config import get_config
from flow_mbpo.evaluate import random_policy_return, env_kwargs
from flow_mbpo.rundir import read_jsonl

root = Path(__file__).resolve().parents[1]
out_json, out_png = root / "nbs/images/quick_dmc.json", root / "nbs/images/quick_dmc.png"


def random_returns(preset: str, seeds) -> list[float]:
    "Mean return of a uniform random policy over the evaluation's episodes, one value per seed."
    cfg = get_config(preset)
    rets = []
    for s in seeds:
        r = random_policy_return(cfg.env.name, cfg.train.eval_episodes, 10_000 + s, env_kwargs(cfg), policy_seed=s)
        rets.append(r.mean)
    return rets


def run_seed(preset: str, seed: int, log_root: str) -> dict:
    t0 = time.perf_counter()
    cmd = ["flow-mbpo-train", preset, f"seed={seed}", f"log.root={log_root}", "log.progress=false"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    run_dir = max(Path(log_root, "default").glob(f"{preset}-s{seed}-*"), key=lambda p: p.stat().st_mtime)
    evals = read_jsonl(run_dir / "eval.jsonl")
    return dict(seed=seed, wall_s=wall, env_steps=[e["env_steps"] for e in evals],
                det_mean=[e["det_mean"] for e in evals], final=evals[-1]["det_mean"])


def figure(res: dict, path: Path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for (preset, r), c in zip(res["presets"].items(), ("C0", "C1")):
        for s in r["seeds"]:
            ax.plot(s["env_steps"], s["det_mean"], color=c, lw=0.8, alpha=0.5)
        m = np.mean([s["det_mean"] for s in r["seeds"]], 0)
        label = f"{preset} (mean of {len(r['seeds'])})"
        ax.plot(r["seeds"][0]["env_steps"], m, color=c, lw=2.2, marker="o", label=label)
    ax.axhline(np.mean(res["random"]), color="k", ls="--", lw=1, label="uniform random policy")
    ax.set(xlabel="env steps", ylabel="evaluation return (deterministic)",
           title=f"{res['env']}: the quick presets, {len(res['seeds'])} seeds (thin) and their mean", ylim=(0, None))
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--presets", nargs="+", default=["quick_dmc_baseline", "quick_dmc_flow"])
    a = ap.parse_args()
    res = dict(env=get_config(a.presets[0]).env.name, seeds=a.seeds, random=random_returns(a.presets[0], a.seeds),
               presets={})
    print("random policy:", res["random"], flush=True)
    with tempfile.TemporaryDirectory(prefix="flow_mbpo_quick_") as d:
        for p in a.presets:
            res["presets"][p] = dict(seeds=[])
            for s in a.seeds:
                r = run_seed(p, s, d)
                res["presets"][p]["seeds"].append(r)
                print(p, s, f"{r['wall_s']:.0f}s", [round(x, 1) for x in r["det_mean"]], flush=True)
                out_json.write_text(json.dumps(res, indent=1))
    figure(res, out_png)
    print("wrote", out_json, out_png)
