"""Dumps loom files as loompy 3.0.8 reads them, for loom-core to compare with.

usage: loompy_dump.py OUT.json FILE.loom...

Every file is opened with loompy.connect(path, 'r') (validation on; when loompy's
validator rejects the file, again with validate=False, noted in the dump). Written per
file: shape, layers (dtype, shape, values), row and column attributes, graphs (COO
a, b, w) and global attributes, each value as {"dtype", "shape", "values"} flattened in
C order; floats that JSON cannot hold as "nan"/"inf"/"-inf"; compounds as {"dtype":
"compound", "fields": {...}}.

Strings: loompy drops every non-ASCII character of a variable-length string (it decodes
the bytes as ASCII with errors='ignore') and then unescapes XML entities. The dump holds
the strings as stored (variable-length: the UTF-8 read with h5py; fixed-length ASCII: the
&#NNN; escapes undone, as loompy does) and checks that loompy's value is exactly that
after loompy's documented stripping; a string where it is not is a FAIL line.

Prints "ok FILE" or "FAIL FILE: reason" lines.
"""

import html
import json
import math
import sys

import h5py
import loompy
import numpy as np


def num(x):
    if isinstance(x, (float, np.floating)):
        x = float(x)
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return x
    if isinstance(x, (bool, np.bool_)):
        return int(x)
    return int(x)


def loompy_strip(s):
    """What loompy.materialize_attr_values makes of a stored UTF-8 string."""
    return html.unescape(s.encode("utf-8").decode("ascii", "ignore"))


def stored_strings(dset):
    """The strings of an h5py dataset as stored, flattened (see the module doc)."""
    raw = np.asarray(dset[()])
    out = []
    fixed = dset.dtype.kind == "S"
    for x in raw.reshape(-1):
        if isinstance(x, bytes):
            s = x.decode("utf-8") if not fixed else html.unescape(x.decode("ascii", "ignore"))
        else:
            s = str(x)
        out.append(s)
    return out, list(raw.shape)


def dtype_name(dt):
    if dt.names:
        return "compound"
    if dt.kind in ("O", "S", "U"):
        return "str"
    if dt.kind == "b":
        return "bool"
    return str(dt)


def text(x):
    """A string element: fixed-length fields of compounds come as bytes (UTF-8)."""
    return x.decode("utf-8", "replace") if isinstance(x, bytes) else str(x)


def values(arr):
    a = np.asarray(arr)
    if a.dtype.names:
        return {
            "dtype": "compound",
            "shape": list(a.shape),
            "fields": {n: values(a[n]) for n in a.dtype.names},
        }
    return {
        "dtype": dtype_name(a.dtype),
        "shape": list(a.shape),
        "values": [num(x) if a.dtype.kind not in "OSU" else text(x) for x in a.reshape(-1)],
    }


def strings_checked(loompy_value, dset, where, problems):
    """The stored strings, checked against loompy's value of them."""
    stored, shape = stored_strings(dset)
    got = np.asarray(loompy_value, dtype=object).reshape(-1)
    if len(shape) == 1 or len(shape) == 0:
        want = [loompy_strip(s) if dset.dtype.kind != "S" else s for s in stored]
        if [str(x) for x in got] != want:
            problems.append(f"{where}: loompy's strings are not the stored ones stripped")
    # loompy cannot materialize 2-D string attributes; only h5py's reading is kept.
    return {"dtype": "str", "shape": shape, "values": stored}


def attr_section(mgr, group, problems, where):
    out = {}
    for k in mgr.keys():
        v = mgr[k]
        if group is not None and k in group and np.asarray(v).dtype.kind in "OSU":
            out[k] = strings_checked(v, group[k], f"{where}/{k}", problems)
        elif group is not None and k in group and group[k].dtype.kind in "OS":
            # loompy returned something that is not strings for a string dataset.
            out[k] = strings_checked(v, group[k], f"{where}/{k}", problems)
        else:
            out[k] = values(v)
    return out


def global_section(ds, f, problems):
    out = {}
    legacy = "attrs" not in f
    for k in ds.attrs.keys():
        v = ds.attrs[k]
        if legacy:
            raw = f.attrs[k]
            a = np.asarray(raw)
            if a.dtype.kind in "OSU":
                flat = [
                    html.unescape(x.decode("utf-8") if isinstance(x, bytes) else str(x))
                    for x in a.reshape(-1)
                ]
                out[k] = {"dtype": "str", "shape": list(a.shape), "values": flat}
            else:
                out[k] = values(v)
        else:
            dset = f["attrs"][k]
            if dset.dtype.kind in "OS":
                stored, shape = stored_strings(dset)
                got = np.asarray(v, dtype=object).reshape(-1)
                want = [loompy_strip(s) if dset.dtype.kind != "S" else s for s in stored]
                if [str(x) for x in got] != want:
                    problems.append(f"attrs/{k}: loompy's strings are not the stored ones stripped")
                out[k] = {"dtype": "str", "shape": shape, "values": stored}
            else:
                out[k] = values(v)
    return out


def graphs(mgr):
    out = {}
    for k in mgr.keys():
        g = mgr[k]
        out[k] = {
            "a": [int(x) for x in g.row],
            "b": [int(x) for x in g.col],
            "w": [num(x) for x in g.data],
        }
    return out


def dump(path):
    notes = []
    try:
        ds = loompy.connect(path, "r")
    except Exception as e:  # loompy's validator rejects the file
        notes.append(f"validate=False ({str(e).splitlines()[0][:120]})")
        ds = loompy.connect(path, "r", validate=False)
    problems = []
    with ds, h5py.File(path, "r") as f:
        layers = {}
        for k in ds.layers.keys():
            m = ds.layers[k][:, :]
            layers[k] = values(m)
        out = {
            "file": path,
            "shape": list(ds.shape),
            "notes": notes,
            "layers": layers,
            "ra": attr_section(ds.ra, f.get("row_attrs"), problems, "row_attrs"),
            "ca": attr_section(ds.ca, f.get("col_attrs"), problems, "col_attrs"),
            "row_graphs": graphs(ds.row_graphs),
            "col_graphs": graphs(ds.col_graphs),
            "globals": global_section(ds, f, problems),
        }
    return out, problems


def main():
    out_path, files = sys.argv[1], sys.argv[2:]
    result = []
    for path in files:
        try:
            d, problems = dump(path)
        except Exception as e:
            print(f"FAIL {path}: loompy cannot dump it: {e!r}"[:400])
            continue
        result.append(d)
        for p in problems:
            print(f"FAIL {path}: {p}")
        if not problems:
            print(f"ok {path}")
    with open(out_path, "w") as fh:
        json.dump({"version": 1, "files": result}, fh)


if __name__ == "__main__":
    main()
