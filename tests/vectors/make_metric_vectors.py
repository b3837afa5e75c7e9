#!/usr/bin/python3
"""Reference values for lib/metrics/, computed with numpy/scipy on real masks.

Run from the project root with Debian's python (it has numpy, scipy, nibabel, PIL):

    /usr/bin/python3 tests/vectors/make_metric_vectors.py [../shared/data]

Writes tests/testdata/metric_vectors.json: only numbers and recipes, no mask data.
Each case names its source file(s) under the data folder and lists of deterministic
ops (shift, erode, dilate, erode_labels, drop_label, empty) that this script and the
TS tests (tests/_perturb.ts) both apply to build the ground truth and the prediction;
the expected metrics come from scipy here:

- DSC/Sen/PPV: AMLP eq. 10-11 with eps = 1e-4.
- bIoU: Cheng et al. 2021 - band = mask & ~binary_erosion(mask, 3x3(x3) ones,
  iterations=d, border_value=0), d = max(1, round(0.02 * image diagonal)); per z slice
  (sums of intersections and unions) or over the volume.
- HD95: medpy's definition - surface = mask ^ binary_erosion(mask, connectivity-1
  structure), distances = distance_transform_edt(~other_surface, sampling=spacing),
  max of the two np.percentile(..., 95).
- Empty masks: both empty -> 1,1,1,1,0; one empty -> HD95 = sqrt(sum((n*s)^2)).

Arrays are indexed [x, y(, z)] (PNG rows are y, columns x), flattened in Fortran order,
which is the TS layout x + X * (y + Y * z).
"""

import json
import math
import os
import sys

import nibabel as nib
import numpy as np
import scipy
from PIL import Image
from scipy import ndimage

EPS = 1e-4
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "data")
OUT = os.path.join(ROOT, "tests", "testdata", "metric_vectors.json")


# ---- loading -------------------------------------------------------------------------

def load_png_mask(files):
    """OR of the listed PNG masks, R channel > 127, indexed [x, y]."""
    out = None
    for f in files:
        a = np.array(Image.open(os.path.join(DATA, f)).convert("RGB"))[..., 0] > 127
        out = a if out is None else (out | a)
    return np.ascontiguousarray(out.T)


def load_labels(f):
    """Label map indexed [x, y, z], rounded to integers."""
    return np.rint(np.asanyarray(nib.load(os.path.join(DATA, f)).dataobj)).astype(np.int32)


def load_source(src):
    if src["kind"] == "png":
        return load_png_mask(src["files"]).astype(np.int32)
    return load_labels(src["file"])


# ---- deterministic ops (mirrored in tests/_perturb.ts) ---------------------------------

def structure(ndim, kind):
    return ndimage.generate_binary_structure(ndim, 1 if kind == "cross" else ndim)


def shift(a, offset):
    out = np.zeros_like(a)
    src, dst = [], []
    for n, o in zip(a.shape, offset):
        if abs(o) >= n:
            return out
        src.append(slice(max(0, -o), n - max(0, o)))
        dst.append(slice(max(0, o), n - max(0, -o)))
    out[tuple(dst)] = a[tuple(src)]
    return out


def apply_op(a, op):
    kind = op["op"]
    if kind == "shift":
        return shift(a, op["offset"])
    if kind == "empty":
        return np.zeros_like(a)
    if kind == "drop_label":
        return np.where(a == op["label"], 0, a)
    st = structure(a.ndim, op["structure"])
    if kind in ("erode", "dilate"):
        # Binary ops: the input is a 0/1 mask.
        f = ndimage.binary_erosion if kind == "erode" else ndimage.binary_dilation
        return f(a > 0, structure=st, iterations=op["passes"], border_value=0).astype(np.int32)
    if kind == "erode_labels":
        out = np.zeros_like(a)
        for lab in np.unique(a):
            if lab == 0:
                continue
            e = ndimage.binary_erosion(a == lab, structure=st, iterations=op["passes"],
                                       border_value=0)
            out[e] = lab
        return out
    raise ValueError(f"unknown op {kind}")


def apply_ops(a, ops):
    for op in ops:
        a = apply_op(a, op)
    return a


def region(labels, reg):
    if "labels" in reg:
        return np.isin(labels, reg["labels"])
    return labels >= reg["minLabel"]


# ---- reference metrics -----------------------------------------------------------------

def branch_of(g, p):
    if g.any() and p.any():
        return "both_present"
    if not g.any() and not p.any():
        return "both_empty"
    return "pred_empty" if g.any() else "gt_empty"


def boundary_band(m, d):
    er = ndimage.binary_erosion(m, structure=np.ones((3,) * m.ndim, bool), iterations=d,
                                border_value=0)
    return m & ~er


def passes_for(shape):
    return max(1, int(round(0.02 * math.sqrt(sum(n * n for n in shape)))))


def biou(g, p, mode):
    if g.ndim == 2 or mode == "volume":
        d = passes_for(g.shape)
        gb, pb = boundary_band(g, d), boundary_band(p, d)
        inter, union = int((gb & pb).sum()), int((gb | pb).sum())
    else:
        d = passes_for(g.shape[:2])
        inter = union = 0
        for k in range(g.shape[2]):
            gb, pb = boundary_band(g[:, :, k], d), boundary_band(p[:, :, k], d)
            inter += int((gb & pb).sum())
            union += int((gb | pb).sum())
    return (1.0 if union == 0 else inter / union), d


def hd95(g, p, spacing):
    b = branch_of(g, p)
    if b == "both_empty":
        return 0.0
    if b != "both_present":
        return math.sqrt(sum((n * s) ** 2 for n, s in zip(g.shape, spacing)))
    fp = ndimage.generate_binary_structure(g.ndim, 1)
    gs = g ^ ndimage.binary_erosion(g, structure=fp, iterations=1)
    ps = p ^ ndimage.binary_erosion(p, structure=fp, iterations=1)
    d_pg = ndimage.distance_transform_edt(~gs, sampling=spacing)[ps]
    d_gp = ndimage.distance_transform_edt(~ps, sampling=spacing)[gs]
    return float(max(np.percentile(d_pg, 95), np.percentile(d_gp, 95)))


def case_metrics(g, p, spacing, mode):
    g, p = g.astype(bool), p.astype(bool)
    tp = int((g & p).sum())
    fp = int((~g & p).sum())
    fn = int((g & ~p).sum())
    b, d = biou(g, p, mode)
    return {
        "dsc": (2 * tp + EPS) / (tp + fn + tp + fp + EPS),
        "sen": (tp + EPS) / (tp + fn + EPS),
        "ppv": (tp + EPS) / (tp + fp + EPS),
        "biou": b,
        "hd95": hd95(g, p, spacing),
        "branch": branch_of(g, p),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "biouPasses": d,
    }


def edt_summary(mask, spacing, n_samples=256):
    dt = ndimage.distance_transform_edt(mask, sampling=spacing)
    flat = dt.ravel(order="F")
    nz = np.flatnonzero(flat > 0)
    step = max(1, len(nz) // n_samples)
    idx = list(nz[::step][:n_samples]) + [int(np.argmax(flat))]
    return {
        "count": int(len(nz)),
        "sum": float(flat.sum()),
        "sumSquares": float((flat * flat).sum()),
        "max": float(flat.max()),
        "samples": [[int(i), float(flat[i])] for i in idx],
    }


# ---- the cases -------------------------------------------------------------------------

def png(*names):
    return {"kind": "png", "files": [f"busi/{n}" for n in names]}


def nii(name):
    return {"kind": "nifti", "file": f"hippocampus/labels/{name}"}


FG = {"name": "foreground", "minLabel": 1}
HIPPO = [{"name": "anterior", "labels": [1]}, {"name": "posterior", "labels": [2]}]

BUSI = [
    png("benign/benign (1)_mask.png"),
    png("benign/benign (10)_mask.png"),
    png("benign/benign (100)_mask.png", "benign/benign (100)_mask_1.png"),
    png("benign/benign (4)_mask.png", "benign/benign (4)_mask_1.png"),
    png("benign/benign (25)_mask.png", "benign/benign (25)_mask_1.png"),
]
PERTURB_2D = [
    [{"op": "erode", "passes": 2, "structure": "full"}],
    [{"op": "dilate", "passes": 3, "structure": "cross"}],
    [{"op": "shift", "offset": [3, -2]}],
    [{"op": "shift", "offset": [-7, 5]}, {"op": "erode", "passes": 1, "structure": "cross"}],
]
HIPPO_FILES = ["hippocampus_001.nii.gz", "hippocampus_003.nii.gz", "hippocampus_004.nii.gz"]
PERTURB_3D = [
    [{"op": "shift", "offset": [1, -1, 1]}],
    [{"op": "erode", "passes": 1, "structure": "cross"}],
    [{"op": "dilate", "passes": 1, "structure": "full"}, {"op": "shift", "offset": [0, 2, 0]}],
]


def binary_cases():
    cases = []
    for src in BUSI:
        for ops in PERTURB_2D:
            cases.append({"source": src, "region": FG, "gtOps": [], "predOps": ops,
                          "spacing": [1, 1], "biouMode": "slices"})
    # 2D anisotropic spacing (HD95 in mm)
    cases.append({"source": BUSI[0], "region": FG, "gtOps": [], "predOps": PERTURB_2D[3],
                  "spacing": [0.6, 0.9], "biouMode": "slices"})
    # empty branches on real masks
    cases.append({"source": BUSI[0], "region": FG, "gtOps": [{"op": "empty"}], "predOps": [],
                  "spacing": [0.5, 0.5], "biouMode": "slices"})
    cases.append({"source": BUSI[1], "region": FG, "gtOps": [], "predOps": [{"op": "empty"}],
                  "spacing": [1, 1], "biouMode": "slices"})
    cases.append({"source": png("normal/normal (1)_mask.png"), "region": FG, "gtOps": [],
                  "predOps": [{"op": "shift", "offset": [2, 2]}], "spacing": [1, 1],
                  "biouMode": "slices"})
    cases.append({"source": nii(HIPPO_FILES[0]), "region": FG, "gtOps": [],
                  "predOps": [{"op": "empty"}], "spacing": [1, 1, 1], "biouMode": "slices"})
    for f in HIPPO_FILES:
        for ops in PERTURB_3D:
            for mode in ("slices", "volume"):
                cases.append({"source": nii(f), "region": FG, "gtOps": [], "predOps": ops,
                              "spacing": [1, 1, 1], "biouMode": mode})
    # 3D anisotropic spacing, one class at a time
    for reg in HIPPO:
        cases.append({"source": nii(HIPPO_FILES[1]), "region": reg, "gtOps": [],
                      "predOps": PERTURB_3D[0], "spacing": [0.8, 1.1, 3.0],
                      "biouMode": "slices"})
    for c in cases:
        lab = load_source(c["source"])
        g = region(apply_ops(lab, c["gtOps"]), c["region"])
        p = region(apply_ops(lab, c["predOps"]), c["region"])
        c["dims"] = list(g.shape)
        c["expected"] = case_metrics(g, p, c["spacing"], c["biouMode"])
        c["id"] = f"{c['source'].get('file') or c['source']['files'][0]} " \
                  f"{c['region']['name']} gt{json.dumps(c['gtOps'])} " \
                  f"pred{json.dumps(c['predOps'])} {c['spacing']} {c['biouMode']}"
    return cases


def multiclass_cases():
    cases = []
    for f, ops, spacing in [
        ("hippocampus_001.nii.gz", [{"op": "shift", "offset": [1, 0, -1]}], [1, 1, 1]),
        ("hippocampus_006.nii.gz", [{"op": "erode_labels", "passes": 1, "structure": "cross"}],
         [1, 1, 1]),
        ("hippocampus_006.nii.gz", [{"op": "shift", "offset": [0, 3, 0]}], [0.7, 0.7, 2.5]),
        # a prediction missing the anterior class entirely (pred_empty for one region)
        ("hippocampus_004.nii.gz", [{"op": "drop_label", "label": 1}], [1, 1, 1]),
    ]:
        lab = load_labels(f"hippocampus/labels/{f}")
        pred = apply_ops(lab, ops)
        per = []
        for reg in HIPPO:
            m = case_metrics(region(lab, reg), region(pred, reg), spacing, "slices")
            per.append({"name": reg["name"], **m})
        mean = {k: float(np.mean([r[k] for r in per])) for k in
                ("dsc", "sen", "ppv", "biou", "hd95")}
        cases.append({"id": f"{f} {json.dumps(ops)} {spacing}", "source": nii(f),
                      "predOps": ops, "spacing": spacing, "regions": HIPPO,
                      "dims": list(lab.shape), "expected": {"regions": per, "mean": mean}})
    return cases


def edt_cases():
    cases = []
    for src, spacing, invert in [
        (BUSI[0], [0.6, 0.9], False),
        (BUSI[2], [1.3, 0.4], True),
        (nii(HIPPO_FILES[0]), [0.8, 1.1, 3.0], False),
        (nii(HIPPO_FILES[1]), [2.0, 0.5, 1.0], True),
    ]:
        m = load_source(src) > 0
        if invert:
            m = ~m
        cases.append({"id": f"{src.get('file') or src['files'][0]} {spacing} invert={invert}",
                      "source": src, "region": FG, "invert": invert, "spacing": spacing,
                      "dims": list(m.shape), "expected": edt_summary(m, spacing)})
    return cases


def main():
    if not os.path.isdir(DATA):
        sys.exit(f"data folder not found: {DATA}")
    out = {
        "generator": "tests/vectors/make_metric_vectors.py",
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__},
        "layout": "arrays indexed [x, y(, z)], flat index x + X * (y + Y * z); "
                  "PNG: x = column, y = row; mask = R channel > 127, OR over files",
        "binary": binary_cases(),
        "multiclass": multiclass_cases(),
        "edt": edt_cases(),
    }
    with open(OUT, "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")
    print(f"wrote {OUT}: {len(out['binary'])} binary, {len(out['multiclass'])} multiclass, "
          f"{len(out['edt'])} edt cases")


if __name__ == "__main__":
    main()
