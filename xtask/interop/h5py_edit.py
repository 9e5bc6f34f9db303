"""libhdf5 editing files hdf5-lite wrote: apply the h5py operations of
manifest_h5py_ops.json (made by `cargo xtask interop`) to the files next to it.

Usage: h5py_edit.py OPS_JSON

Operations: create_group, create_dataset, write, write_strings, resize, delete, move,
set_attr, del_attr. Prints "ok FILE" or "FAIL FILE: reason" per file; exits 1 if any
failed.
"""

import json
import os
import sys
import traceback

import h5py
import numpy as np


def _number(v):
    return {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}.get(v, v) \
        if isinstance(v, str) else v


def _sel(op):
    return tuple(slice(s, s + c) for s, c in zip(op["start"], op["count"]))


def apply(f, op):
    kind = op["op"]
    if kind == "create_group":
        f.create_group(op["path"])
    elif kind == "create_dataset":
        data = np.array(op["values"], dtype=op["dtype"]).reshape(op["shape"])
        f.create_dataset(op["path"], data=data)
    elif kind == "write":
        ds = f[op["path"]]
        values = np.array([_number(v) for v in op["values"]], dtype=ds.dtype)
        ds[_sel(op)] = values.reshape(op["count"])
    elif kind == "write_strings":
        ds = f[op["path"]]
        ds[_sel(op)] = np.array(op["strings"], dtype=object).reshape(op["count"])
    elif kind == "resize":
        f[op["path"]].resize(op["shape"])
    elif kind == "delete":
        del f[op["path"]]
    elif kind == "move":
        f.move(op["from"], op["to"])
    elif kind == "set_attr":
        value = np.array(op["values"], dtype=op["dtype"]).reshape(op["shape"])
        f[op["path"]].attrs[op["name"]] = value
    elif kind == "del_attr":
        del f[op["path"]].attrs[op["name"]]
    else:
        raise ValueError(f"unknown operation {kind!r}")


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    with open(sys.argv[1], encoding="utf-8") as fh:
        plan = json.load(fh)
    directory = os.path.dirname(os.path.abspath(sys.argv[1]))
    print(f"h5py {h5py.version.version}, libhdf5 {h5py.version.hdf5_version}")
    failed = 0
    for entry in plan["files"]:
        try:
            with h5py.File(os.path.join(directory, entry["file"]), "r+") as f:
                for op in entry["ops"]:
                    try:
                        apply(f, op)
                    except Exception as e:
                        raise RuntimeError(f"{op['op']} {op.get('path', op.get('from'))}: "
                                           f"{type(e).__name__}: {e}") from e
            print(f"ok {entry['file']}")
        except Exception as e:  # noqa: BLE001 - every failure is reported
            failed += 1
            print(f"FAIL {entry['file']}: {e}")
            for line in traceback.format_exc().strip().splitlines()[-4:]:
                print(f"    {line}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
