"""Checks loom files written by loom-core with loompy 3.0.8 (and h5py for raw strings).

usage: loompy_check.py DIR manifest_loomcore.json

Every file must open with loompy.connect(path, 'r') with validation on. Then every layer
(ds.layers[k][:, :]), row and column attribute, graph (COO row, col, data) and global
attribute is compared value by value with the manifest (dtype, shape and values), and the
names listed as absent (deleted) must be gone. When the manifest gives a "base" (a fixture
the file is an edited copy of), everything the edit did not touch must read as loompy
reads it in the base.

Strings: loompy reads variable-length UTF-8 as ASCII with errors='ignore' and then undoes
XML entities (loompy.normalize.materialize_attr_values), so non-ASCII characters are lost;
the expected UTF-8 is compared with loompy's value after that same stripping, and the raw
UTF-8 is compared separately through h5py. In loom spec 2 files the strings are fixed-length
ASCII with &#NNN; escapes, which loompy undoes: there the full string must come back.
loompy cannot materialize 2-D string attributes (it iterates rows and calls html.unescape
on each array); those are compared through h5py only, and that is said in the ok line.

Compound attributes (pySCENIC regulons, SCope embeddings) must read the same through
loompy (a record array: field names in order, each field's dtype and values), h5py, and
h5dump 1.10 (every value of every record, printed with %.17g). loompy's validator refuses
compound dtypes, so files with "validate": false in the manifest are opened as pySCENIC
and SCope open them, with validate=False. A graph spec may name the stored types of its
vectors ("types": [a, b, w]); without it the weights must be float64.

Prints one "ok FILE WHAT" or "FAIL FILE WHAT: reason" line per check.
"""

import html
import json
import os
import re
import shutil
import subprocess
import sys

import h5py
import loompy
import numpy as np

IGNORED_GLOBALS = {"CreationDate", "LOOM_SPEC_VERSION", "last_modified"}

results = {"ok": 0, "fail": 0}


def report(file, what, problem):
    if problem:
        results["fail"] += 1
        print(f"FAIL {file} {what}: {problem}"[:600])
    else:
        results["ok"] += 1
        print(f"ok {file} {what}")


def as_float(x):
    if isinstance(x, str):
        return float(x)  # "nan", "inf", "-inf"
    return x


def expected_array(spec):
    dt = spec["dtype"]
    vals = spec["values"]
    if dt.startswith("float"):
        vals = [as_float(x) for x in vals]
    if dt == "str":
        return np.array(vals, dtype=object).reshape(spec["shape"])
    return np.array(vals, dtype=dt).reshape(spec["shape"])


def loompy2(s):
    """What loompy (2 or 3) reads back from a spec 2 string it would have written: the
    string escaped with xmlcharrefreplace, then html.unescape'd (which maps, e.g.,
    &#150; to U+2013, as HTML5 says, not back to U+0096)."""
    return html.unescape(s.encode("ascii", "xmlcharrefreplace").decode("ascii"))


def strip(s):
    return html.unescape(s.encode("utf-8").decode("ascii", "ignore"))


def compare_numbers(got, spec):
    got = np.asarray(got)
    want = expected_array(spec)
    if str(got.dtype) != spec["dtype"]:
        return f"dtype {got.dtype}, expected {spec['dtype']}"
    if list(got.shape) != list(spec["shape"]):
        return f"shape {list(got.shape)}, expected {spec['shape']}"
    if want.dtype.kind == "f":
        same = np.array_equal(got, want, equal_nan=True)
    else:
        same = np.array_equal(got, want)
    if not same:
        bad = np.argwhere(~((got == want) | (np.isnan(got) & np.isnan(want)) if want.dtype.kind == "f" else (got == want)))
        i = tuple(bad[0]) if len(bad) else ()
        return f"values differ, first at {i}: {got[i] if i else got} vs {want[i] if i else want}"
    return None


def raw_strings(dset):
    """Stored strings via h5py: vlen UTF-8 decoded, fixed ASCII unescaped."""
    a = np.asarray(dset[()])
    fixed = dset.dtype.kind == "S"
    flat = []
    for x in a.reshape(-1):
        if isinstance(x, bytes):
            flat.append(html.unescape(x.decode("ascii")) if fixed else x.decode("utf-8"))
        else:
            flat.append(str(x))
    return flat, list(a.shape), fixed


def compare_strings(got, dset, spec, spec2):
    """loompy's value (stripped for vlen) and the stored strings (via h5py)."""
    stored, shape, fixed = raw_strings(dset)
    if shape != list(spec["shape"]):
        return f"stored shape {shape}, expected {spec['shape']}", ""
    expected = [loompy2(s) for s in spec["values"]] if fixed else spec["values"]
    if stored != expected:
        return f"stored strings differ (h5py): {stored[:3]} vs {expected[:3]}", ""
    if spec2 and not fixed:
        return "spec 2 file but the strings are not fixed-length ASCII", ""
    if len(shape) == 2:
        return None, " (2-D strings: h5py only)"
    want = expected if fixed else [strip(s) for s in spec["values"]]
    got = np.asarray(got, dtype=object).reshape(-1)
    if [str(x) for x in got] != want:
        return f"loompy gives {list(got[:3])}, expected (stripped) {want[:3]}", ""
    return None, " (loompy stripped + h5py UTF-8)" if not fixed else " (loompy unescaped)"


def field_strings(arr):
    """A string field's values, decoded from the stored UTF-8."""
    return [x.decode("utf-8") if isinstance(x, bytes) else str(x) for x in np.asarray(arr).reshape(-1)]


def compare_records(arr, spec, who):
    """A record array (from loompy or h5py) against a compound spec."""
    arr = np.asarray(arr)
    names = list(spec["fields"])
    if list(arr.dtype.names or ()) != names:
        return f"{who}: fields {arr.dtype.names}, expected {names}"
    if list(arr.shape) != list(spec["shape"]):
        return f"{who}: shape {list(arr.shape)}, expected {spec['shape']}"
    for n, fspec in spec["fields"].items():
        if fspec["dtype"] == "str":
            got = field_strings(arr[n])
            if got != fspec["values"]:
                return f"{who}: field {n!r} gives {got[:3]}, expected {fspec['values'][:3]}"
        else:
            problem = compare_numbers(arr[n], fspec)
            if problem:
                return f"{who}: field {n!r}: {problem}"
    return None


H5DUMP_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(-?nan|-?inf|[-+0-9.eE]+)')


def h5dump_records(path, dset):
    """Every value h5dump prints for a dataset, in order (record by record)."""
    exe = os.environ.get("H5DUMP") or shutil.which("h5dump")
    out = subprocess.run([exe, "-w", "0", "-A", "0", "-m", "%.17g", "-d", dset, path], capture_output=True, text=True, check=True).stdout
    data = out.split("DATA {", 1)[1]
    data = re.sub(r"\(\d+(,\d+)*\):", " ", data)
    # h5dump shows the NUL padding of fixed-length strings as \000.
    return [re.sub(r"(\\000)+$", "", m.group(1)) if m.group(1) is not None else m.group(2) for m in H5DUMP_TOKEN.finditer(data)]


def expected_h5dump(spec):
    """The values h5dump must print for a compound spec: record by record, each field's
    values (all of an array field's), floats as %.17g of the stored width."""
    n = int(np.prod(spec["shape"])) if spec["shape"] else 1
    cols = []
    for fspec in spec["fields"].values():
        per = int(np.prod(fspec["shape"][len(spec["shape"]):])) if len(fspec["shape"]) > len(spec["shape"]) else 1
        if fspec["dtype"] == "str":
            vals = list(fspec["values"])
        else:
            arr = expected_array(fspec).reshape(-1)
            vals = [fmt17(x, arr.dtype) for x in arr]
        cols.append([vals[i * per:(i + 1) * per] for i in range(n)])
    return [v for i in range(n) for col in cols for v in col[i]]


def fmt17(x, dt):
    if dt.kind == "f":
        x = float(x)
        if np.isnan(x):
            return "nan"
        if np.isinf(x):
            return "inf" if x > 0 else "-inf"
        return "%.17g" % x
    return str(int(x))


def same_dump_value(a, b):
    if a == b:
        return True
    try:
        fa, fb = float(a), float(b)
    except ValueError:
        return False
    return fa == fb or (np.isnan(fa) and np.isnan(fb))


def compare_compound(path, dset_path, got, dset, spec):
    problem = compare_records(got, spec, "loompy") or compare_records(dset[()], spec, "h5py")
    if problem:
        return problem
    dumped = h5dump_records(path, dset_path)
    want = expected_h5dump(spec)
    if len(dumped) != len(want) or not all(same_dump_value(a, b) for a, b in zip(dumped, want)):
        bad = next((i for i, (a, b) in enumerate(zip(dumped, want)) if not same_dump_value(a, b)), min(len(dumped), len(want)))
        return f"h5dump: {len(dumped)} values, expected {len(want)}; first difference at {bad}: {dumped[bad:bad + 3]} vs {want[bad:bad + 3]}"
    return None


def check_attr(file, what, got, dset, spec, spec2):
    if spec["dtype"] == "compound":
        problem = compare_compound(dset.file.filename, dset.name, got, dset, spec)
        report(file, what + " (loompy + h5py + h5dump)", problem)
    elif spec["dtype"] == "str":
        problem, note = compare_strings(got, dset, spec, spec2)
        report(file, what + note, problem)
    else:
        report(file, what, compare_numbers(got, spec))


def same_loompy(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind == "f":
        return np.array_equal(a, b, equal_nan=True)
    return bool(np.all(a == b))


def check_file(d, entry):
    file = entry["file"]
    path = os.path.join(d, file)
    spec2 = entry["spec"].startswith("2")
    validate = entry.get("validate", True)
    how = "loompy.connect (validate)" if validate else "loompy.connect (validate=False, as pySCENIC/SCope)"
    try:
        ds = loompy.connect(path, "r", validate=validate)
    except Exception as e:
        report(file, how, repr(e))
        return
    report(file, how, None)
    base = loompy.connect(entry["base"], "r") if entry.get("base") else None
    absent = {sec: set(names) for sec, names in entry.get("absent", {}).items()}
    with ds, h5py.File(path, "r") as f:
        report(file, "shape", None if list(ds.shape) == entry["shape"] else f"{ds.shape}")
        # Layers.
        want_keys = set(entry["layers"]) | (set(base.layers.keys()) if base else set())
        want_keys -= absent.get("layers", set())
        got_keys = set(ds.layers.keys())
        report(file, "layer keys", None if got_keys == want_keys else f"{sorted(got_keys)} vs {sorted(want_keys)}")
        for k, spec in entry["layers"].items():
            report(file, f"layer {k!r}", compare_numbers(ds.layers[k][:, :], spec))
        # Row and column attributes.
        for sec, group in (("ra", "row_attrs"), ("ca", "col_attrs")):
            mgr = getattr(ds, sec)
            want_keys = set(entry[sec]) | (set(getattr(base, sec).keys()) if base else set())
            want_keys -= absent.get(sec, set())
            got_keys = set(mgr.keys())
            report(file, f"{sec} keys", None if got_keys == want_keys else f"{sorted(got_keys)} vs {sorted(want_keys)}")
            for k, spec in entry[sec].items():
                check_attr(file, f"{sec}.{k}", mgr[k], f[group][k], spec, spec2)
        # Graphs.
        for sec in ("row_graphs", "col_graphs"):
            mgr = getattr(ds, sec)
            want_keys = set(entry[sec]) | (set(getattr(base, sec).keys()) if base else set())
            want_keys -= absent.get(sec, set())
            got_keys = set(mgr.keys())
            report(file, f"{sec} keys", None if got_keys == want_keys else f"{sorted(got_keys)} vs {sorted(want_keys)}")
            for k, spec in entry[sec].items():
                g = mgr[k]
                problem = None
                if list(g.row) != spec["a"] or list(g.col) != spec["b"]:
                    problem = f"a/b differ: {list(g.row[:5])}/{list(g.col[:5])} vs {spec['a'][:5]}/{spec['b'][:5]}"
                elif not np.array_equal(g.data, np.array(spec["w"], dtype="float64")):
                    problem = "w differs"
                elif "types" not in spec and (g.data.dtype != np.float64 or g.row.dtype.kind != "i"):
                    problem = f"types {g.row.dtype}/{g.data.dtype}"
                elif "types" in spec:
                    stored = [str(f[sec][k][v].dtype) for v in "abw"]
                    if stored != spec["types"] or str(g.data.dtype) != spec["types"][2]:
                        problem = f"stored types {stored} (loompy w {g.data.dtype}), expected {spec['types']}"
                report(file, f"{sec}.{k}", problem)
        # Globals.
        want_keys = set(entry["globals"]) | (set(base.attrs.keys()) if base else set())
        want_keys -= absent.get("globals", set())
        got_keys = set(ds.attrs.keys())
        extra = got_keys - want_keys - IGNORED_GLOBALS
        missing = want_keys - got_keys
        report(file, "global keys", None if not extra and not missing else f"extra {sorted(extra)} missing {sorted(missing)}")
        legacy = "attrs" not in f
        for k, spec in entry["globals"].items():
            got = ds.attrs[k]
            if spec["dtype"] == "str":
                if legacy:
                    raw = np.asarray(f.attrs[k])
                    stored = [html.unescape(x.decode("ascii") if isinstance(x, bytes) else str(x)) for x in raw.reshape(-1)]
                    want_stored = want_loompy = [loompy2(s) for s in spec["values"]]
                else:
                    stored, _, fixed = raw_strings(f["attrs"][k])
                    want_stored = [loompy2(s) for s in spec["values"]] if fixed else spec["values"]
                    want_loompy = want_stored if fixed else [strip(s) for s in spec["values"]]
                g = [str(x) for x in np.asarray(got, dtype=object).reshape(-1)]
                problem = None
                if stored != want_stored:
                    problem = f"stored {stored} vs {want_stored}"
                elif g != want_loompy:
                    problem = f"loompy gives {g}, expected {want_loompy}"
                report(file, f"attrs.{k}", problem)
            elif spec["dtype"] == "compound":
                dset_path = f"/attrs/{k}"
                problem = compare_compound(path, dset_path, got, f[dset_path], spec)
                report(file, f"attrs.{k} (loompy + h5py + h5dump)", problem)
            else:
                report(file, f"attrs.{k}", compare_numbers(got, spec))
        # Deleted things.
        for sec, names in entry.get("absent", {}).items():
            mgr = ds.attrs if sec == "globals" else getattr(ds, sec)
            for n in names:
                report(file, f"{sec} {n} deleted", f"{n} still there" if n in mgr.keys() else None)
        # What the edit did not touch reads as in the base file.
        if base:
            with base:
                for k in base.layers.keys():
                    if k not in entry["layers"] and k not in absent.get("layers", ()):
                        report(file, f"base layer {k!r}", None if same_loompy(ds.layers[k][:, :], base.layers[k][:, :]) else "differs from the base")
                for sec in ("ra", "ca", "row_graphs", "col_graphs"):
                    for k in getattr(base, sec).keys():
                        if k in entry[sec] or k in absent.get(sec, ()):
                            continue
                        a, b = getattr(ds, sec)[k], getattr(base, sec)[k]
                        if sec.endswith("graphs"):
                            ok = same_loompy(a.row, b.row) and same_loompy(a.col, b.col) and same_loompy(a.data, b.data)
                        else:
                            ok = same_loompy(a, b)
                        report(file, f"base {sec}.{k}", None if ok else "differs from the base")
                for k in base.attrs.keys():
                    if k not in entry["globals"] and k not in IGNORED_GLOBALS and k not in absent.get("globals", ()):
                        report(file, f"base attrs.{k}", None if same_loompy(ds.attrs[k], base.attrs[k]) else "differs from the base")


def main():
    d, manifest = sys.argv[1], sys.argv[2]
    with open(manifest) as fh:
        m = json.load(fh)
    for entry in m["files"]:
        try:
            check_file(d, entry)
        except Exception as e:
            report(entry["file"], "check crashed", repr(e))
    print(f"loompy_check: {results['ok']} passed, {results['fail']} failed")


if __name__ == "__main__":
    main()
