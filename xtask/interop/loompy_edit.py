"""loompy's part of the interop suite: open every loom file of the manifest with
`loompy.connect(path, "r+", validate=True)` (which validates the file against the loom
spec), add the layer and column attributes the manifest's "loompy" section gives, and
close. hdf5-lite then reads them back.

Usage: loompy_edit.py MANIFEST
       loompy_edit.py --validate MANIFEST   (only connect read-only, validating, to
                                              every loom file and read every layer)

Prints "ok FILE" or "FAIL FILE: reason" per file; exits 1 if any failed.
"""

import base64
import json
import os
import sys
import traceback

import numpy as np
import loompy


def edit(directory, plan):
    path = os.path.join(directory, plan["file"])
    rows, cols = plan["rows"], plan["cols"]
    layer = np.frombuffer(base64.b64decode(plan["layer_f32le_b64"]), dtype="<f4")
    layer = layer.reshape(rows, cols).astype(np.float32)
    with loompy.connect(path, "r+", validate=True) as ds:
        if ds.shape != (rows, cols):
            raise AssertionError(f"loompy sees shape {ds.shape}, expected {(rows, cols)}")
        ds.layers[plan["layer"]] = layer
        for name, spec in plan["col_attrs"].items():
            if "f64le_b64" in spec:
                values = np.frombuffer(base64.b64decode(spec["f64le_b64"]), dtype="<f8")
                ds.ca[name] = values.astype(np.float64)
            else:
                ds.ca[name] = np.array(spec["strings"], dtype=object)
    # Read it back through loompy too, in a fresh connection.
    with loompy.connect(path, "r", validate=True) as ds:
        got = ds.layers[plan["layer"]][:, :]
        if got.dtype != np.float32 or got.tobytes() != layer.tobytes():
            raise AssertionError("loompy reads the new layer back differently")


def validate(directory, entry):
    path = os.path.join(directory, entry["file"])
    with loompy.connect(path, "r", validate=True) as ds:
        for name in ds.layers.keys():
            layer = ds.layers[name][:, :]
            if layer.shape != ds.shape:
                raise AssertionError(f"layer {name!r} has shape {layer.shape}")
        for name in ds.ca.keys():
            if len(ds.ca[name]) != ds.shape[1]:
                raise AssertionError(f"column attribute {name!r} has the wrong length")
        for name in ds.ra.keys():
            if len(ds.ra[name]) != ds.shape[0]:
                raise AssertionError(f"row attribute {name!r} has the wrong length")


def main():
    args = sys.argv[1:]
    only_validate = args[:1] == ["--validate"]
    if only_validate:
        args = args[1:]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    with open(args[0], encoding="utf-8") as fh:
        manifest = json.load(fh)
    directory = os.path.dirname(os.path.abspath(args[0]))
    print(f"loompy {loompy.__version__}")
    failed = 0
    if only_validate:
        work = [(e, validate) for e in manifest["files"] if e.get("loom")]
    else:
        work = [(p, edit) for p in manifest["loompy"]]
    for plan, action in work:
        try:
            action(directory, plan)
            print(f"ok {plan['file']}")
        except Exception as e:  # noqa: BLE001 - every failure is reported
            failed += 1
            detail = traceback.format_exc().strip().splitlines()
            print(f"FAIL {plan['file']}: {type(e).__name__}: {e}")
            for line in detail[-6:]:
                print(f"    {line}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
