"""Check files written by hdf5-lite against manifest.json, with h5py (libhdf5).

Usage: check.py MANIFEST

For every file in the manifest, every listed object is checked: its kind; for datasets
the HDF5 datatype (described from h5py's low-level TypeID), the numpy dtype h5py maps
it to, shape, maxshape, layout, chunk shape, filter pipeline (ids and gzip level from
the dataset creation property list, and h5py's compression/shuffle/fletcher32 view),
fill value, allocated chunk count and every element; for every object its attributes
(datatype, shape, values), the attributes that must be gone, and for groups the exact
member list when given. Files marked "exact" must hold no other objects, and paths
listed under "absent" must not exist.

Each comparison counts as one check. Failures are printed as "FAIL file:path: ...";
the last line is "interop: N passed, M failed"; the exit status is 1 on any failure.
"""

import base64
import json
import os
import sys

import h5py
import numpy as np
from h5py import h5d, h5s, h5t


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, cond, where, what, expected=None, actual=None):
        if cond:
            self.passed += 1
            return True
        self.failed += 1
        msg = f"FAIL {where}: {what}"
        if expected is not None or actual is not None:
            msg += f": expected {short(expected)}, got {short(actual)}"
        print(msg)
        return False

    def error(self, where, what, exc):
        self.failed += 1
        print(f"FAIL {where}: {what}: {type(exc).__name__}: {exc}")


def short(x, limit=300):
    s = repr(x)
    return s if len(s) <= limit else s[:limit] + "..."


# --- datatypes -------------------------------------------------------------------


def _num(prefix, tid):
    size = tid.get_size()
    if size == 1:
        order = "|"
    elif tid.get_order() == h5t.ORDER_BE:
        order = ">"
    else:
        order = "<"
    return f"{order}{prefix}{size}"


PADS = {h5t.STR_NULLTERM: "nullterm", h5t.STR_NULLPAD: "nullpad", h5t.STR_SPACEPAD: "spacepad"}


def describe(tid):
    """The manifest's description of an HDF5 datatype."""
    cls = tid.get_class()
    if cls == h5t.INTEGER:
        return _num("u" if tid.get_sign() == h5t.SGN_NONE else "i", tid)
    if cls == h5t.FLOAT:
        return _num("f", tid)
    if cls == h5t.STRING:
        charset = "utf-8" if tid.get_cset() == h5t.CSET_UTF8 else "ascii"
        if tid.is_variable_str():
            return {"class": "string", "size": "variable", "charset": charset}
        return {
            "class": "string",
            "size": tid.get_size(),
            "charset": charset,
            "strpad": PADS.get(tid.get_strpad(), str(tid.get_strpad())),
        }
    if cls == h5t.ENUM:
        members = {}
        for i in range(tid.get_nmembers()):
            members[tid.get_member_name(i).decode("utf-8", "replace")] = int(
                tid.get_member_value(i)
            )
        return {"class": "enum", "base": describe(tid.get_super()), "members": members}
    if cls == h5t.COMPOUND:
        fields = []
        for i in range(tid.get_nmembers()):
            fields.append(
                {
                    "name": tid.get_member_name(i).decode("utf-8", "replace"),
                    "offset": tid.get_member_offset(i),
                    "dtype": describe(tid.get_member_type(i)),
                }
            )
        return {"class": "compound", "size": tid.get_size(), "fields": fields}
    if cls == h5t.ARRAY:
        return {
            "class": "array",
            "base": describe(tid.get_super()),
            "dims": [int(d) for d in tid.get_array_dims()],
        }
    return {"class": f"HDF5 class {cls}"}


def np_dtype(desc):
    """The numpy dtype of a number (or enum) description."""
    if isinstance(desc, str):
        return np.dtype(desc)
    if desc.get("class") in ("enum", "array"):
        return np_dtype(desc["base"])
    raise ValueError(f"no numpy number type for {desc}")


# --- values ----------------------------------------------------------------------


def _flat(v):
    if isinstance(v, list):
        for e in v:
            yield from _flat(e)
    else:
        yield v


def _number(v):
    if v == "nan":
        return float("nan")
    if v == "inf":
        return float("inf")
    if v == "-inf":
        return float("-inf")
    return v


def expected_numbers(dt, data):
    if "raw_b64" in data:
        return np.frombuffer(base64.b64decode(data["raw_b64"]), dtype=dt)
    values = [_number(v) for v in _flat(data["values"])]
    if dt.kind == "f":
        return np.array(values, dtype=np.float64).astype(dt)
    return np.array(values, dtype=dt)


def first_difference(a, b):
    n = min(len(a), len(b))
    for i in range(n):
        if a[i : i + 1].tobytes() != b[i : i + 1].tobytes():
            return i, a[i], b[i]
    return n, None, None


def compare_numbers(t, where, dt, data, actual, what="data"):
    try:
        exp = expected_numbers(dt, data)
    except Exception as e:  # noqa: BLE001 - a manifest problem is a failure too
        t.error(where, f"{what}: cannot build the expected values", e)
        return
    act = np.asarray(actual).reshape(-1)
    if act.dtype.kind == "b" or act.dtype != dt:
        act = act.astype(dt)
    if not t.check(len(exp) == len(act), where, f"{what} length", len(exp), len(act)):
        return
    if exp.tobytes() != act.tobytes():
        i, e, a = first_difference(exp, act)
        n = sum(
            1 for k in range(len(exp)) if exp[k : k + 1].tobytes() != act[k : k + 1].tobytes()
        )
        t.check(False, where, f"{what}: {n} of {len(exp)} elements differ, first at {i}", e, a)
    else:
        t.check(True, where, what)


def _text(x):
    if isinstance(x, bytes):
        return x.decode("utf-8", "replace")
    if isinstance(x, np.bytes_):
        return bytes(x).decode("utf-8", "replace")
    return str(x)


def compare_strings(t, where, expected, actual, what="strings"):
    act = [_text(x) for x in np.asarray(actual, dtype=object).reshape(-1)]
    exp = list(_flat(expected))
    if act == exp:
        t.check(True, where, what)
        return
    if len(act) != len(exp):
        t.check(False, where, f"{what} count", len(exp), len(act))
        return
    bad = [i for i in range(len(exp)) if exp[i] != act[i]]
    t.check(False, where, f"{what}: {len(bad)} differ, first at {bad[0]}", exp[bad[0]], act[bad[0]])


def compare_data(t, where, desc, data, actual, what="data"):
    if data is None:
        return
    if "strings" in data:
        compare_strings(t, where, data["strings"], actual, what)
    elif "fields" in data:
        arr = np.asarray(actual).reshape(-1)
        for f in desc["fields"]:
            name = f["name"]
            if not t.check(name in (arr.dtype.names or ()), where, f"{what}: field {name!r}"):
                continue
            compare_numbers(
                t, where, np_dtype(f["dtype"]), {"values": data["fields"][name]},
                arr[name], f"{what}[{name!r}]",
            )
    else:
        compare_numbers(t, where, np_dtype(desc), data, actual, what)


# --- objects ---------------------------------------------------------------------


def space_shape(space):
    kind = space.get_simple_extent_type()
    if kind == h5s.NULL:
        return None
    if kind == h5s.SCALAR:
        return []
    return [int(d) for d in space.get_simple_extent_dims()]


def check_attrs(t, where, obj, spec):
    names = set(obj.attrs.keys())
    expected = spec.get("attrs", {})
    if spec.get("attrs_exact"):
        t.check(names == set(expected), where, "attribute names", sorted(expected), sorted(names))
    for name in spec.get("attrs_absent", []):
        t.check(name not in names, where, f"attribute {name!r} deleted")
    for name, a in expected.items():
        w = f"{where}@{name}"
        if not t.check(name in names, w, "attribute exists"):
            continue
        try:
            aid = obj.attrs.get_id(name)
            t.check(describe(aid.get_type()) == a["dtype"], w, "dtype", a["dtype"],
                    describe(aid.get_type()))
            shape = space_shape(aid.get_space())
            t.check(shape == a["shape"], w, "shape", a["shape"], shape)
            value = obj.attrs[name]
            if a["shape"] is None:
                t.check(isinstance(value, h5py.Empty), w, "null dataspace reads as Empty",
                        "Empty", type(value).__name__)
            else:
                compare_data(t, w, a["dtype"], a["data"], value, "value")
        except Exception as e:  # noqa: BLE001
            t.error(w, "reading the attribute", e)


LAYOUTS = {h5d.CONTIGUOUS: "contiguous", h5d.CHUNKED: "chunked", h5d.COMPACT: "compact"}


def check_filters(t, where, ds, dcpl, want):
    got = []
    for i in range(dcpl.get_nfilters()):
        fid, _flags, cd, _name = dcpl.get_filter(i)
        got.append((fid, tuple(int(c) for c in cd)))
    ids = sorted(f for f, _ in got)
    exp_ids = sorted(
        ([1] if want["deflate"] is not None else [])
        + ([2] if want["shuffle"] else [])
        + ([3] if want["fletcher32"] else [])
    )
    t.check(ids == exp_ids, where, "filter ids (dcpl)", exp_ids, ids)
    if want["deflate"] is not None:
        level = [cd[0] if cd else None for f, cd in got if f == 1]
        t.check(level == [want["deflate"]], where, "gzip level (dcpl)", [want["deflate"]], level)
        order = [f for f, _ in got]
        if want["shuffle"] and 1 in order and 2 in order:
            t.check(order.index(2) < order.index(1), where, "shuffle runs before deflate",
                    "shuffle first", order)
    comp = "gzip" if want["deflate"] is not None else None
    t.check(ds.compression == comp, where, "h5py compression", comp, ds.compression)
    if comp:
        t.check(ds.compression_opts == want["deflate"], where, "h5py compression_opts",
                want["deflate"], ds.compression_opts)
    t.check(bool(ds.shuffle) == want["shuffle"], where, "h5py shuffle", want["shuffle"],
            ds.shuffle)
    t.check(bool(ds.fletcher32) == want["fletcher32"], where, "h5py fletcher32",
            want["fletcher32"], ds.fletcher32)


def check_dataset(t, where, ds, spec):
    tid = ds.id.get_type()
    desc = describe(tid)
    t.check(desc == spec["dtype"], where, "dtype", spec["dtype"], desc)
    if "numpy_dtype" in spec:
        t.check(ds.dtype.str == spec["numpy_dtype"], where, "numpy dtype", spec["numpy_dtype"],
                ds.dtype.str)
    t.check(list(ds.shape) == spec["shape"], where, "shape", spec["shape"], list(ds.shape))
    maxshape = list(ds.maxshape) if ds.maxshape is not None else None
    t.check(maxshape == spec["maxshape"], where, "maxshape", spec["maxshape"], maxshape)
    dcpl = ds.id.get_create_plist()
    layout = LAYOUTS.get(dcpl.get_layout(), str(dcpl.get_layout()))
    t.check(layout == spec["layout"], where, "layout", spec["layout"], layout)
    chunks = list(ds.chunks) if ds.chunks is not None else None
    t.check(chunks == spec["chunks"], where, "chunks", spec["chunks"], chunks)
    check_filters(t, where, ds, dcpl, spec["filters"])
    if "fillvalue" in spec:
        try:
            dt = np_dtype(spec["dtype"])
            exp = expected_numbers(dt, {"values": [spec["fillvalue"]]})
            got = np.array([ds.fillvalue]).astype(dt)
            t.check(exp.tobytes() == got.tobytes(), where, "fill value", exp[0], got[0])
        except Exception as e:  # noqa: BLE001
            t.error(where, "fill value", e)
        status = dcpl.fill_value_defined()
        if spec.get("fill_user_defined"):
            t.check(status == h5d.FILL_VALUE_USER_DEFINED, where, "fill value is user-defined",
                    h5d.FILL_VALUE_USER_DEFINED, status)
        else:
            t.check(status == h5d.FILL_VALUE_DEFAULT, where,
                    "fill value status is 'default' (as libhdf5 writes it)",
                    h5d.FILL_VALUE_DEFAULT, status)
    if "num_chunks" in spec:
        try:
            n = ds.id.get_num_chunks()
            t.check(n == spec["num_chunks"], where, "allocated chunks", spec["num_chunks"], n)
        except Exception as e:  # noqa: BLE001
            t.error(where, "allocated chunks", e)
    try:
        if isinstance(spec["dtype"], dict) and spec["dtype"].get("class") == "string":
            actual = ds.asstr()[()]
        else:
            actual = ds[()]
        compare_data(t, where, spec["dtype"], spec["data"], actual)
    except Exception as e:  # noqa: BLE001
        t.error(where, "reading the data", e)


def check_file(t, directory, entry):
    name = entry["file"]
    path = os.path.join(directory, name)
    try:
        f = h5py.File(path, "r")
    except Exception as e:  # noqa: BLE001
        t.error(name, "h5py cannot open the file", e)
        return
    with f:
        if entry.get("exact"):
            found = {"/"}
            f.visit(lambda n: found.add("/" + n))
            want = {o["path"] for o in entry["objects"]}
            t.check(found == want, name, "the file holds exactly the expected objects",
                    "no missing or extra objects",
                    f"missing {short(sorted(want - found))}, extra {short(sorted(found - want))}")
        for path_ in entry.get("absent", []):
            t.check(f.get(path_) is None, f"{name}:{path_}", "gone (unlinked or renamed)")
        for spec in entry["objects"]:
            where = f"{name}:{spec['path']}"
            try:
                obj = f.get(spec["path"])
            except Exception as e:  # noqa: BLE001
                t.error(where, "opening the object", e)
                continue
            if not t.check(obj is not None, where, "exists"):
                continue
            if spec["kind"] == "group":
                if not t.check(isinstance(obj, h5py.Group), where, "is a group"):
                    continue
                if "members" in spec:
                    members = sorted(obj.keys())
                    t.check(members == sorted(spec["members"]), where, "members",
                            sorted(spec["members"]), members)
            else:
                if not t.check(isinstance(obj, h5py.Dataset), where, "is a dataset"):
                    continue
                check_dataset(t, where, obj, spec)
            check_attrs(t, where, obj, spec)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    manifest_path = sys.argv[1]
    with open(manifest_path, encoding="utf-8") as fh:
        manifest = json.load(fh)
    directory = os.path.dirname(os.path.abspath(manifest_path))
    print(f"h5py {h5py.version.version}, libhdf5 {h5py.version.hdf5_version}, "
          f"numpy {np.__version__}")
    t = Tally()
    for entry in manifest["files"]:
        before = (t.passed, t.failed)
        check_file(t, directory, entry)
        print(f"{entry['file']}: {t.passed - before[0]} passed, {t.failed - before[1]} failed")
    print(f"interop: {t.passed} passed, {t.failed} failed")
    sys.exit(1 if t.failed else 0)


if __name__ == "__main__":
    main()
