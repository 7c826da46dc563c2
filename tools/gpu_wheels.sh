#!/usr/bin/env bash
# The Python wheels that a GPU machine without network needs to run flow_mbpo (and tools/gpu_check.sh), into .whl/.
#   tools/gpu_wheels.sh            download (once; cached in $WHEEL_CACHE), slim, check; prints the total size
#   tools/gpu_wheels.sh --check    only the checks, on the wheels already in .whl/
# The target machine runs Python 3.12 (x86-64, manylinux) with torch 2.11.0+cu130 and the packages in IMAGE
# below already installed (numpy, pandas, matplotlib, scipy, lxml, pyyaml, tqdm, ...), and reaches no package index.
# It installs them with
#   python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl
# and runs the package from its source tree (PYTHONPATH=$PWD:/tmp/site), so no build step runs there.
# What is brought: the dependencies of pyproject.toml that the image lacks (mujoco, dm_control, fastcore,
# submitit, rliable) and their own, pinned to the versions this project's CPU machines run. Not brought: torch
# (the machine's CUDA build is kept), wandb (about 20 MiB; only imported when log.wandb is not `disabled`), the
# optional extras (gymnasium, metaworld, tensordict), nbdev (tools/gpu_cells.py runs the `#| gpu` cells without it).
# mujoco and dm_control are slimmed (build tag `0slim`): mujoco without its `experimental` viewer (MuJoCo Studio,
# 15 MiB, imported by nothing else), dm_control without the locomotion assets (soccer, walker meshes), its test
# assets and the Blender exporter, which no dm_control.suite task and nothing in flow_mbpo loads; RECORD is rewritten
# so pip checks the hashes as usual. The device tool carries at most 64 MiB per call, the working tree included.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=.whl
CACHE=${WHEEL_CACHE:-${TMPDIR:-/tmp}/flow_mbpo_wheels}
PY=${PYTHON:-python3}
# name==version, one per wheel: mujoco and dm_control go together (each dm_control release pins one mujoco)
PINS=(
  mujoco==3.17.0 dm_control==1.0.50 dm-env==1.6 dm-tree==0.1.10 labmaze==1.0.6 glfw==2.11.0 PyOpenGL==3.1.10
  websockets==17.4 fastcore==2.2.41 submitit==1.5.4 rliable==1.2.0 arch==7.2.0
)
# packages the GPU image holds (/work/.library/device/KINDS.md, read 2026-11-17; versions where that page gives them)
IMAGE="absl-py attrs certifi charset-normalizer cloudpickle contourpy cycler etils filelock fonttools fsspec idna
jinja2 joblib kiwisolver lxml markupsafe matplotlib mpmath networkx numpy==2.5.2 packaging pandas patsy pillow pip
protobuf psutil pyparsing pytest python-dateutil pyyaml requests scipy seaborn setuptools six statsmodels sympy
threadpoolctl torch==2.11.0 tqdm triton==3.6.0 typing-extensions urllib3 wrapt"
PLATFORMS=(--platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64
           --platform manylinux2014_x86_64 --platform manylinux1_x86_64)
TAGS=(--only-binary=:all: --python-version 3.12 --implementation cp "${PLATFORMS[@]}")

if [ "${1:-}" != "--check" ]; then
  mkdir -p "$CACHE" "$DEST"
  rm -f "$DEST"/*.whl
  for pin in "${PINS[@]}"; do
    name=${pin%%==*}; ver=${pin##*==}
    pat="$(echo "$name" | tr '-' '_')-$ver-"
    have=$(ls "$CACHE" 2>/dev/null | grep -iE "^${pat}(cp312|py3|py2\.py3)-" | head -1 || true)
    if [ -z "$have" ]; then   # a release with no wheel (rliable 1.2.0) is built here: pure Python only
      "$PY" -m pip download -q --no-deps "${TAGS[@]}" -d "$CACHE" "$pin" >/dev/null 2>&1 \
        || "$PY" -m pip wheel -q --no-deps -w "$CACHE" "$pin" 2>&1 | grep -v "^WARNING: Location" || true
      have=$(ls "$CACHE" | grep -iE "^${pat}(cp312|py3|py2\.py3)-" | head -1 || true)
      [ -n "$have" ] || { echo "no wheel for $pin"; exit 1; }
    fi
    cp "$CACHE/$have" "$DEST/"
  done
  # slim the two large wheels in place: drop what neither dm_control.suite nor flow_mbpo loads
  "$PY" - "$DEST" <<'EOF'
import base64, hashlib, re, sys, zipfile
from pathlib import Path
DROP = {"mujoco": [r"^mujoco/experimental/"],
        "dm_control": [r"^dm_control/locomotion/soccer/", r"^dm_control/locomotion/walkers/assets/",
                       r"^dm_control/mujoco/testing/", r"^dm_control/mjcf/test_assets/", r"^dm_control/blender/",
                       r"_test\.py$", r"^dm_control/suite/all_domains\.png$"]}
dest = Path(sys.argv[1])
for name, pats in DROP.items():
    (src,) = [w for w in dest.glob(f"{name}-*.whl")]
    parts = src.name.split("-")                       # name-version-python-abi-platform.whl: add build tag 0slim
    out = dest / "-".join(parts[:2] + ["0slim"] + parts[2:])
    zin, record, kept, dropped = zipfile.ZipFile(src), None, [], 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout:
        for i in zin.infolist():
            if i.filename.endswith(".dist-info/RECORD"): record = i.filename; continue
            if any(re.search(p, i.filename) for p in pats): dropped += i.file_size; continue
            data = zin.read(i)
            zout.writestr(i, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
            h = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            kept.append(f"{i.filename},sha256={h},{len(data)}")
        zout.writestr(record, "\n".join(kept + [f"{record},,"]) + "\n")
    before = src.stat().st_size
    src.unlink()
    print(f"slimmed {src.name} ({before / 2**20:.1f} MiB) -> {out.name} ({out.stat().st_size / 2**20:.1f} MiB; "
          f"{dropped / 2**20:.1f} MiB of unpacked files left out)")
EOF
fi

# check 1: every wheel's own requirements (markers for CPython 3.12 on Linux x86-64, no extras) are met by a wheel
# here or by the image; exactly one wheel per project
"$PY" - "$DEST" "$IMAGE" <<'EOF'
import re, sys, zipfile
from email.parser import Parser
from pathlib import Path
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name as canon
from packaging.version import Version
env = dict(python_version="3.12", python_full_version="3.12.3", sys_platform="linux", platform_system="Linux",
           platform_machine="x86_64", implementation_name="cpython", platform_python_implementation="CPython",
           os_name="posix", extra="")
dest, image = Path(sys.argv[1]), {}
for item in sys.argv[2].split():
    n, _, v = item.partition("==")
    image[canon(n)] = v or None
have, bad = {}, []
for w in sorted(dest.glob("*.whl")):
    n, v = w.name.split("-")[:2]
    if canon(n) in have: bad.append(f"two wheels of {n}")
    meta = Parser().parsestr(zipfile.ZipFile(w).read(next(f for f in zipfile.ZipFile(w).namelist()
                                                          if f.endswith(".dist-info/METADATA"))).decode())
    have[canon(n)] = (Version(v), meta.get_all("Requires-Dist") or [])
for n, (v, reqs) in have.items():
    for r in map(Requirement, reqs):
        if r.marker and not r.marker.evaluate(env): continue
        m = canon(r.name)
        if m in have:
            if not r.specifier.contains(have[m][0], prereleases=True):
                bad.append(f"{n} needs {r}, brought {have[m][0]}")
        elif m in image:
            iv = image[m]
            if iv and not r.specifier.contains(Version(iv), prereleases=True): bad.append(f"{n} needs {r}, image {iv}")
        else: bad.append(f"{n} needs {r}: neither brought nor in the image")
print(f"requirements: {len(have)} wheels, each one's requirements met by the wheels or the image"
      if not bad else "requirements NOT met:\n  " + "\n  ".join(bad))
sys.exit(1 if bad else 0)
EOF

# check 2: pip itself resolves the set for CPython 3.12 manylinux without an index; the image's packages are stood in
# for by empty wheels (their version where KINDS.md gives it, else 9999: whether the image's version fits is for
# `pip check` on the machine, which tools/gpu_check.sh runs)
STUBS=$(mktemp -d)
"$PY" - "$STUBS" "$IMAGE" <<'EOF'
import sys, zipfile
for item in sys.argv[2].split():
    n, _, v = item.partition("==")
    n, v = n.replace("-", "_"), v or "9999"
    with zipfile.ZipFile(f"{sys.argv[1]}/{n}-{v}-py3-none-any.whl", "w") as z:
        di = f"{n}-{v}.dist-info"
        z.writestr(f"{di}/METADATA", f"Metadata-Version: 2.1\nName: {n}\nVersion: {v}\n")
        z.writestr(f"{di}/WHEEL", "Wheel-Version: 1.0\nGenerator: stub\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        z.writestr(f"{di}/RECORD", "")
EOF
"$PY" -m pip install --dry-run --no-index --find-links "$DEST" --find-links "$STUBS" "${TAGS[@]}" \
  --target "$(mktemp -d)" "$DEST"/*.whl 2>&1 | grep -E "^(Would install|ERROR)" | sed "s/ [a-z_]*-9999//g" \
  | fold -s -w 118 || { echo "pip could not resolve the set"; exit 1; }
rm -rf "$STUBS"
echo "wheels in $DEST:"; ls -s --block-size=K -1 "$DEST"/*.whl | sed 's/^/  /'
echo "total: $(du -cb "$DEST"/*.whl | tail -1 | awk '{printf "%.1f MiB", $1 / 2^20}'), tracked tree: $(git ls-files -z \
  | du -cb --files0-from=- | tail -1 | awk '{printf "%.1f MiB", $1 / 2^20}') (the device tool carries 64 MiB per call)"
