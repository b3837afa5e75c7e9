#!/usr/bin/python3
"""Reference values for tests/nifti_read_test.ts, computed with nibabel.

Run from the project root (needs nibabel + numpy, e.g. Debian's /usr/bin/python3):

    /usr/bin/python3 tests/vectors/make_nifti_vectors.py [../shared/data/nifti-samples]

For every file under nifti-samples/ (recursively) it records how nibabel sees it:
shape, on-disk dtype, zooms (voxel spacing), the best affine (sform, else qform,
else the fallback affine), a few scaled voxel values at fixed Fortran-order flat
indices, and the float64 sum and sum of squares of the scaled data
(`get_fdata()`, i.e. scl_slope/scl_inter applied), ignoring NaN voxels. Files nibabel cannot load
are recorded as `"error"`; header-only `.hdr` files whose `.img` is missing are
recorded with `"data": null`. Writes tests/testdata/nifti_vectors.json.
"""
import json
import os
import sys

import nibabel as nib
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SAMPLES = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "data", "nifti-samples")
OUT = os.path.join(ROOT, "tests", "testdata", "nifti_vectors.json")

# Fractions of the flat voxel count at which values are probed.
PROBES = [0.0, 0.25, 0.5, 0.5003, 0.75, 1.0]


def dtype_name(dt):
    return np.dtype(dt).newbyteorder("=").name


def describe(path):
    img = nib.load(path)
    hdr = img.header
    shape = [int(s) for s in img.shape]
    entry = {
        "class": type(img).__name__,
        "shape": shape,
        "dtype": dtype_name(img.get_data_dtype()),
        "endian": "big" if hdr.endianness == ">" else "little",
        "zooms": [float(z) for z in hdr.get_zooms()],
        "affine": [[float(v) for v in row] for row in img.affine],
    }
    try:
        data = np.asarray(img.get_fdata(dtype=np.float64))
    except FileNotFoundError:
        entry["data"] = None
        return entry
    flat = data.reshape(-1, order="F")
    n = flat.size
    idx = sorted({min(n - 1, int(round(p * (n - 1)))) for p in PROBES})
    # NaN voxels (e.g. outside a resampled field of view) are counted, shown as
    # null, and left out of max/min/sum/sumSq.
    entry["data"] = {
        "count": int(n),
        "nanCount": int(np.isnan(flat).sum()),
        "probes": [[i, None if np.isnan(flat[i]) else float(flat[i])] for i in idx],
        "argmax": int(np.nanargmax(flat)),
        "max": float(np.nanmax(flat)),
        "min": float(np.nanmin(flat)),
        "sum": float(np.nansum(flat, dtype=np.float64)),
        "sumSq": float(np.nansum(np.square(flat), dtype=np.float64)),
    }
    return entry


def main():
    files = {}
    for dirpath, _dirs, names in sorted(os.walk(SAMPLES)):
        for name in sorted(names):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, SAMPLES).replace(os.sep, "/")
            try:
                files[rel] = describe(path)
            except Exception as e:  # recorded: the reader must reject it too
                files[rel] = {"error": f"{type(e).__name__}: {e}".replace(SAMPLES, "")}
    out = {
        "generator": "tests/vectors/make_nifti_vectors.py",
        "nibabel": nib.__version__,
        "numpy": np.__version__,
        "files": dict(sorted(files.items())),
    }
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1, allow_nan=False)
        f.write("\n")
    print(f"wrote {len(files)} entries to {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
