#!/usr/bin/env python
"""Render processed docs pages to HTML without Quarto, to look at them (and screenshot them) on a machine without it:

    python tools/proc_docs.py                                   # nbdev's processing into _proc/
    python tools/render_pages.py --out /tmp/pages 14_analysis 15_explore [--shot]

Each `_proc/NB.ipynb` (what Quarto would render: hidden cells gone, `show_doc` output in place) is converted with
nbconvert's HTML exporter (lab template). Quarto's cell options are applied as Quarto would: `#| echo: false` hides the
code, `#| output: asis` turns printed text into Markdown, and the `#|` lines themselves are not shown. Saved widget
state (notebook metadata `widgets`) is embedded, so widgets render where their JavaScript can be loaded (nbconvert
loads the widget manager from a CDN). The look is nbconvert's, not the site's theme: this is for checking what each
page shows, not its styling.

`--shot`: also a full-page PNG of each page with headless Chromium (`chromium` on the PATH; Debian package
`chromium`), next to the HTML.
"""
import re, subprocess, sys, tempfile, shutil
from pathlib import Path

root = Path(__file__).resolve().parents[1]
OPT = re.compile(r"^\s*#\|\s*([\w-]+)\s*:?\s*(.*?)\s*$")


def quarto_cells(nb):
    "Apply the Quarto cell options that change what a page shows."
    nb.cells = [c for c in nb.cells if not (c.cell_type == "raw" and c.source.startswith("---"))]  # front matter
    keep = {"cell_type", "id", "metadata", "source", "outputs", "execution_count", "attachments"}
    for c in nb.cells:
        hide_src = c.get("transient", {}).get("remove_source")   # nbdev's mark on `show_doc` cells
        for k in set(c) - keep:
            del c[k]
        c.metadata = {k: v for k, v in c.metadata.items() if k == "tags"}
        if c.cell_type != "code":
            continue
        if hide_src:
            c.metadata.setdefault("tags", []).append("remove_input")
        lines = c.source.splitlines()
        opts = {m.group(1): m.group(2) for l in lines if (m := OPT.match(l))}
        c.source = "\n".join(l for l in lines if not OPT.match(l))
        if opts.get("echo") == "false":
            c.metadata.setdefault("tags", []).append("remove_input")
        if opts.get("output") == "asis":
            md = [o for o in c.outputs if "text/markdown" in o.get("data", {})]   # show_doc's output
            text = "".join(o.get("text", "") for o in c.outputs if o.get("output_type") == "stream")
            printed = dict(output_type="display_data", metadata={}, data={"text/markdown": text})
            c.outputs = md + ([printed] if text else [])
        if opts.get("output") == "false":
            c.outputs = []
    return nb


def render(name: str, out: Path, proc: Path = root / "_proc") -> Path:
    import nbformat
    from nbconvert import HTMLExporter
    from traitlets.config import Config
    nb = quarto_cells(nbformat.read(proc / f"{Path(name).stem}.ipynb", as_version=4))
    cfg = Config()
    cfg.TagRemovePreprocessor.remove_input_tags = {"remove_input"}
    cfg.TagRemovePreprocessor.enabled = True
    html, _ = HTMLExporter(config=cfg, template_name="lab").from_notebook_node(nb)
    dest = out / f"{Path(name).stem}.html"
    dest.write_text(html)
    return dest


def shot(html: Path, width=1100, height=6000) -> Path:
    "A PNG of the page's first `height` pixels with headless Chromium (a fresh profile, no background traffic)."
    png = html.with_suffix(".png")
    prof = tempfile.mkdtemp(prefix="chromium_profile_")
    try:
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={prof}",
                        "--hide-scrollbars", "--virtual-time-budget=15000", f"--window-size={width},{height}",
                        f"--screenshot={png}", html.resolve().as_uri()], check=True, capture_output=True, timeout=180)
    finally:
        shutil.rmtree(prof, ignore_errors=True)
    return png


if __name__ == "__main__":
    args = sys.argv[1:]
    out = Path(args[args.index("--out") + 1]) if "--out" in args else Path(tempfile.mkdtemp(prefix="pages_"))
    out.mkdir(parents=True, exist_ok=True)
    names = [a for i, a in enumerate(args) if not a.startswith("--") and (i == 0 or args[i - 1] != "--out")]
    for n in names:
        h = render(n, out)
        print(h, f"{h.stat().st_size / 1e3:.0f} kB", *([shot(h)] if "--shot" in args else []))
