#!/usr/bin/env python
"""Write README.md from nbs/index.ipynb without Quarto (which `nbdev-readme` needs and these machines lack).

Runs the index notebook with execnb (as nbdev-test does), drops `#| hide` cells and directive lines, and
writes markdown cells as they are and code cells as fenced Python followed by their text output.
"""
from pathlib import Path
from fastcore.nbio import read_nb
from execnb.shell import CaptureShell

root = Path(__file__).resolve().parents[1]

def _directives(src):
    lines = src.splitlines()
    return {l[3:].strip().split()[0] for l in lines if l.startswith('#| ') and l[3:].strip()}, \
           '\n'.join(l for l in lines if not l.startswith('#|')).strip()

def _text_outputs(cell):
    out = []
    for o in cell.get('outputs', []):
        if o.get('output_type') == 'stream': out.append(''.join(o['text']))
        elif 'data' in o and 'text/plain' in o['data']: out.append(''.join(o['data']['text/plain']))
    return ''.join(out).rstrip()

def render(nb_path=root/'nbs'/'index.ipynb'):
    nb = read_nb(nb_path)
    CaptureShell(mpl_format='retina').run_all(nb, exc_stop=True)
    parts = []
    for c in nb.cells:
        dirs, body = _directives(c.source)
        if 'hide' in dirs or not body: continue
        if c.cell_type == 'markdown': parts.append(body)
        else:
            parts.append(f"```python\n{body}\n```")
            if (txt := _text_outputs(c)): parts.append('\n'.join('    ' + l for l in txt.splitlines()))
    # the notebook links figures relative to nbs/ (as the docs site does); the README lives one level up
    return ('\n\n'.join(parts) + '\n').replace('](images/', '](nbs/images/')

if __name__ == '__main__':
    (root/'README.md').write_text(render())
    print('wrote README.md')
