#!/usr/bin/env python
"""Check the documentation site's structure without Quarto: the notebook map on the home page and the sidebar list
exactly the notebooks in `nbs/`, and every link that resolves inside the site (a backtick name nbdev turns into a link,
a `[text](page.ipynb#anchor)` link) points to an existing page and anchor.

Pages and anchors are computed the way nbdev and Quarto make them: a notebook's page is `nbpath2html` of its name, and
its anchors are the ids Pandoc gives its Markdown headings plus the `show_doc` headings nbdev adds (its own
`add_show_docs` processor, run without executing anything). `python tools/check_docs.py` prints the problems found;
`--proc DIR` checks the output of `nbdev-proc-nbs` instead (slower: it executes the notebooks' export cells).
"""
import ast, re, sys
from pathlib import Path
import yaml
from fastcore.nbio import read_nb
from nbdev.config import get_config, nbpath2html
from nbdev.doclinks import NbdevLookup
from nbdev.process import NBProcessor
from nbdev.processors import add_show_docs

root = Path(__file__).resolve().parents[1]
NBS = root / "nbs"
LINK = re.compile(r"(?<!!)\[([^\]]*)\]\(([^)\s]+)\)")        # [text](target), not an image
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*$", re.M)
INSIDE = re.compile(r"(\.(ipynb|html)|^)#|\.(ipynb|html)$")   # a page of the site, an anchor, or both


def notebooks(path=NBS) -> list[Path]:
    "The documented notebooks: every `*.ipynb` in `path` except hidden or underscore ones."
    return sorted(p for p in Path(path).glob("*.ipynb") if not p.name.startswith(("_", ".")))


def page(nb) -> str:
    "The page a notebook becomes (`14_analysis.ipynb` -> `analysis.html`)."
    return nbpath2html(Path(nb).name).name


def heading_id(text: str) -> str:
    "Pandoc's automatic identifier of a heading (or its explicit `{#id}`)."
    if m := re.search(r"\{#([^}\s]+)[^}]*\}\s*$", text):
        return m.group(1)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text).replace("`", "").replace("*", "")
    text = re.sub(r"[^\w\s.-]", "", text.lower())
    return re.sub(r"^[^a-z]+", "", re.sub(r"\s+", "-", text.strip()))


def _markdown(nb) -> list[str]:
    "Markdown the page shows: markdown cells and Markdown outputs."
    out = [c.source for c in nb.cells if c.cell_type == "markdown"]
    for c in nb.cells:
        for o in c.get("outputs", []):
            md = o.get("data", {}).get("text/markdown")
            if md:
                out.append("".join(md) if isinstance(md, list) else md)
    return out


def _shown(nb) -> list[str]:
    "Names of the `show_doc(...)` cells of a (processed) notebook."
    names = []
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        try:
            tree = ast.parse("\n".join(l for l in c.source.splitlines() if not l.lstrip().startswith("#|")))
        except SyntaxError:
            continue
        for t in tree.body:
            call = t.value if isinstance(t, ast.Expr) else None
            if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "show_doc":
                names.append(ast.unparse(call.args[0]))
    return names


def processed(nb_path):
    "The notebook with the `show_doc` cells nbdev adds for its exported names (nothing is executed)."
    p = NBProcessor(nb_path, [add_show_docs])
    p.process()
    return p.nb


def anchors(nb) -> set[str]:
    "Ids of a processed notebook's headings and `show_doc` entries."
    ids = {heading_id(h) for md in _markdown(nb) for h in HEADING.findall(md)}
    return ids | {heading_id(n) for n in _shown(nb)}


def _docstrings(nb) -> list[str]:
    "Docstrings of the exported top-level definitions (`show_doc` prints them, with their backtick names linked)."
    out = []
    for c in nb.cells:
        if c.cell_type != "code" or not re.search(r"^#\|\s*export", c.source, re.M):
            continue
        try:
            tree = ast.parse("\n".join(l for l in c.source.splitlines() if not l.lstrip().startswith("#|")))
        except SyntaxError:
            continue
        out += [ast.get_docstring(t) or "" for t in tree.body if isinstance(t, (ast.FunctionDef, ast.ClassDef))]
    return out


def site_links(nb, lookup: NbdevLookup) -> list[str]:
    "The link targets of a processed notebook's Markdown and docstrings after nbdev's backtick linking."
    text = "\n".join(lookup.linkify(md) for md in _markdown(nb) + _docstrings(nb))
    return [t for _, t in LINK.findall(text)]


def check_links(nbs=None, proc: Path | None = None) -> list[str]:
    """Problems with links that stay inside the site: a page that does not exist, or an anchor the page lacks.
    `proc`: check `nbdev-proc-nbs` output (executed `show_doc` cells) instead of processing `nbs` here."""
    cfg, nbs = get_config(), notebooks() if nbs is None else nbs
    site = f"{cfg.doc_host}{cfg.doc_baseurl}".rstrip("/") + "/"
    if proc is None:
        books = {page(p): processed(p) for p in nbs}
    else:
        books = {page(p): read_nb(Path(proc) / p.name) for p in nbs}
    ids = {pg: anchors(nb) for pg, nb in books.items()}
    lookup, bad = NbdevLookup(), []
    for pg, nb in books.items():
        for t in site_links(nb, lookup):
            if t.startswith(site):
                t = t[len(site):]
            elif re.match(r"^[a-z][a-z0-9+.-]*:", t) or t.startswith("/") or not INSIDE.search(t):
                continue  # another site, or a file
            target, _, anchor = t.partition("#")
            target = page(target) if target.endswith(".ipynb") else target or pg  # "#id": this page
            if target not in ids:
                bad.append(f"{pg}: link to missing page {t}")
            elif anchor and anchor not in ids[target]:
                bad.append(f"{pg}: link to {t}, an anchor that {target} lacks")
    return bad


def map_pages(index=NBS / "index.ipynb") -> list[str]:
    "The pages the home page's 'Map of the notebooks' section links to (site URLs or `.ipynb` files)."
    cfg = get_config()
    site = f"{cfg.doc_host}{cfg.doc_baseurl}".rstrip("/") + "/"
    md = "\n".join(c.source for c in read_nb(index).cells if c.cell_type == "markdown")
    sec = md.split("## Map of the notebooks", 1)
    if len(sec) < 2:
        return []
    body = re.split(r"^## ", sec[1], maxsplit=1, flags=re.M)[0]
    targets = [t.split("#")[0].removeprefix(site) for _, t in LINK.findall(body)]
    return [page(t) if t.endswith(".ipynb") else t for t in targets if t.endswith((".ipynb", ".html"))]


def sidebar_pages(path=NBS / "sidebar.yml") -> list[str]:
    "The notebooks listed in the sidebar (any depth of sections)."
    def walk(items):
        for it in items:
            if isinstance(it, str):
                yield it
            elif isinstance(it, dict):
                if "href" in it:
                    yield it["href"]
                yield from walk(it.get("contents", []))
    return list(walk(yaml.safe_load(Path(path).read_text())["website"]["sidebar"]["contents"]))


def check_lists(nbs=None) -> list[str]:
    "Notebooks missing from (or listed twice in, or missing but listed in) the home page's map and the sidebar."
    nbs = notebooks() if nbs is None else nbs
    pages, names = [page(p) for p in nbs if p.name != "index.ipynb"], [p.name for p in nbs]
    bad = []
    for what, listed, want in (("map of the notebooks", map_pages(), pages), ("sidebar.yml", sidebar_pages(), names)):
        bad += [f"{what}: {n} is not listed" for n in want if n not in listed]
        bad += [f"{what}: {n} does not exist" for n in listed if n not in want]
        bad += [f"{what}: {n} is listed {listed.count(n)} times" for n in set(listed) if listed.count(n) > 1]
    return bad


if __name__ == "__main__":
    proc = Path(sys.argv[sys.argv.index("--proc") + 1]) if "--proc" in sys.argv else None
    problems = check_lists() + check_links(proc=proc)
    print("\n".join(problems) or "docs: map, sidebar and links are consistent")
    sys.exit(1 if problems else 0)
