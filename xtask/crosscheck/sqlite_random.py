#!/usr/bin/env python
"""Random SQLite sample databases for loom-io's reader, for `cargo xtask crosscheck-sqlite`.

    python sqlite_random.py gen DIR SEED    write samples.db and queries.json into DIR
    python sqlite_random.py check DIR       compare loom-io's ours.json with loompy

`gen` makes samples.db with Python's sqlite3, everything drawn from SEED: page size
(512-65536), text encoding (UTF-8, UTF-16le/be), auto_vacuum (pointer-map pages), a
`sample` table with a random schema (declared types of every affinity, a rowid alias or
not, the `name` column typed TEXT/none/INTEGER/REAL/NUMERIC with BINARY, NOCASE or
RTRIM collation, names quoted in all of SQLite's ways), 0-3000 rows of random values
(NULL, small and extreme integers, reals incl. whole and infinite ones, unicode and
long text, blobs up to 20 kB: overflow chains), explicit and negative rowids, deletes
(freeblocks, freelist pages), updates, an index, another table, and ALTER TABLE ADD
COLUMN with a DEFAULT after some rows. queries.json holds names to look up: present
ones, case/space/number variants, missing ones. The harness writes ours.json with
loom_io::metadata::sample_metadata's answer for each; `check` compares every answer
with loompy.load_sample_metadata's (same keys, same value types and values; an error
where loompy raises one) and prints `OK name` or `FAIL name: reason` lines.
"""
import json
import os
import random
import sqlite3
import sys


def rand_value(rng):
    kind = rng.choice(["null", "int", "bigint", "real", "wholereal", "text", "longtext", "blob"])
    if kind == "null":
        return None
    if kind == "int":
        return rng.randint(-1000, 1000)
    if kind == "bigint":
        return rng.choice([2**63 - 1, -(2**63), rng.randint(-(2**62), 2**62), 2**31, -(2**23)])
    if kind == "real":
        return rng.choice([rng.uniform(-1e6, 1e6), 1e308, -1e-300, float("inf"), -0.0, 0.1])
    if kind == "wholereal":
        return float(rng.randint(-100, 100))
    if kind == "text":
        return rng.choice(["", "x", "é ∂ 中", "a\tb", "nul\x00in", "7", " S1"]) + str(rng.randint(0, 9))
    if kind == "longtext":
        return "L" * rng.randint(400, 20000)
    return bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 10, 600, 5000, 20000])))


def gen(d, seed):
    rng = random.Random(seed)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "samples.db")
    if os.path.exists(path):
        os.remove(path)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA page_size = {rng.choice([512, 1024, 4096, 8192, 65536])}")
    db.execute(f"PRAGMA encoding = '{rng.choice(['UTF-8', 'UTF-8', 'UTF-16le', 'UTF-16be'])}'")
    db.execute(f"PRAGMA auto_vacuum = {rng.choice([0, 0, 1, 2])}")
    types = ["INTEGER", "INT", "BIGINT", "TEXT", "VARCHAR(20)", "REAL", "DOUBLE", "FLOAT",
             "BLOB", "", "NUMERIC", "DECIMAL(10, 2)", "BOOLEAN", "DATE"]
    name_type = rng.choice(["TEXT", "TEXT", "", "INTEGER", "REAL", "NUMERIC", "TEXT COLLATE NOCASE",
                            "VARCHAR(10) COLLATE RTRIM"])
    name_spelling = rng.choice(["name", "Name", "NAME", '"name"', "[name]", "`Name`"])
    cols = [f"{name_spelling} {name_type}"]
    for i in range(rng.randint(0, 7)):
        spelling = rng.choice([f"c{i}", f'"col {i}"', f"[c {i}]", f"`c{i}`"])
        cols.append(f"{spelling} {rng.choice(types)}".strip())
    alias = rng.random() < 0.5
    if alias:
        cols.insert(rng.randint(0, len(cols)), "id INTEGER PRIMARY KEY")
    rng.shuffle(cols)
    db.execute(f"CREATE TABLE sample ({', '.join(cols)})")
    if rng.random() < 0.3:
        db.execute("CREATE TABLE other (name TEXT, v)")
        db.execute("INSERT INTO other VALUES ('S1', 1)")
    n = rng.choice([0, 1, 5, 50, 500, 3000])
    names = [f"S{rng.randint(0, max(n // 2, 1))}" for _ in range(n)]
    placeholders = ", ".join("?" for _ in cols)
    id_at = next((i for i, c in enumerate(cols) if c.startswith("id INTEGER")), None)
    for k, nm in enumerate(names):
        row = [rand_value(rng) for _ in cols]
        row[[i for i, c in enumerate(cols) if c.startswith(name_spelling + " ")][0]] = (
            nm if rng.random() < 0.9 else rng.choice([7, 7.0, nm.lower(), nm + " ", None]))
        if id_at is not None:
            row[id_at] = rng.choice([None, None, k * 7 + 1000, -k - 1])
            try:
                db.execute(f"INSERT INTO sample VALUES ({placeholders})", row)
            except sqlite3.IntegrityError:
                row[id_at] = None
                db.execute(f"INSERT INTO sample VALUES ({placeholders})", row)
        else:
            db.execute(f"INSERT INTO sample VALUES ({placeholders})", row)
    if rng.random() < 0.5:
        db.execute(f"CREATE INDEX sample_name ON sample ({name_spelling})")
    if n and rng.random() < 0.4:
        db.execute("DELETE FROM sample WHERE rowid % 3 = 0")
    if n and rng.random() < 0.3:
        db.execute(f"UPDATE sample SET {name_spelling} = 'S-upd' WHERE rowid % 5 = 1")
    if rng.random() < 0.4:
        default = rng.choice(["'dflt'", "-4", "2.5", "NULL", "x'00ff'"])
        db.execute(f"ALTER TABLE sample ADD COLUMN added TEXT DEFAULT {default}")
        for _ in range(rng.randint(0, 20)):
            nm = f"S{rng.randint(0, 30)}"
            row = [rand_value(rng) for _ in cols] + [rand_value(rng)]
            row[[i for i, c in enumerate(cols) if c.startswith(name_spelling + " ")][0]] = nm
            if id_at is not None:
                row[id_at] = None
            db.execute(f"INSERT INTO sample VALUES ({placeholders}, ?)", row)
    db.commit()
    db.close()
    queries = sorted(set(names))[:25] + ["S-upd", "s1", "S1 ", "7", "7.0", " 7", "1e0", "missing", ""]
    with open(os.path.join(d, "queries.json"), "w") as f:
        json.dump(queries, f)


def same(ours, theirs):
    """loom-io's JSON value (int, {"real": text}, str, null, {"blob": hex}) against
    what Python's sqlite3 gave."""
    if theirs is None or isinstance(theirs, str):
        return ours == theirs
    if isinstance(theirs, bool) or isinstance(theirs, int):
        return isinstance(ours, int) and ours == theirs
    if isinstance(theirs, float):
        return isinstance(ours, dict) and "real" in ours and float(ours["real"]) == theirs
    if isinstance(theirs, bytes):
        return isinstance(ours, dict) and ours.get("blob") == theirs.hex()
    return False


def check(d):
    import loompy

    with open(os.path.join(d, "queries.json")) as f:
        queries = json.load(f)
    with open(os.path.join(d, "ours.json")) as f:
        ours = json.load(f)
    path = os.path.join(d, "samples.db")
    lines = []
    for q, got in zip(queries, ours):
        name = f"sample {q!r}"
        try:
            want = list(loompy.load_sample_metadata(path, q).items())
        except ValueError as e:
            ok = "error" in got and "was not found" in got["error"]
            lines.append(f"OK {name} (not found)" if ok else f"FAIL {name}: loompy: {e}; ours: {got}")
            continue
        if "error" in got:
            lines.append(f"FAIL {name}: ours: {got['error']}")
            continue
        keys = [k for k, _ in got["row"]]
        bad = [k for (k, v), (_, w) in zip(want, got["row"]) if not same(w, v)]
        if keys != [k for k, _ in want] or bad:
            detail = {k: (dict(want).get(k), dict(got["row"]).get(k)) for k in bad[:3]}
            lines.append(f"FAIL {name}: keys {keys} vs {[k for k, _ in want]}; values differ: {detail}")
        else:
            lines.append(f"OK {name} ({len(keys)} values)")
    if len(ours) != len(queries):
        lines.append(f"FAIL answers: {len(ours)} for {len(queries)} queries")
    print("\n".join(lines))


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2], int(sys.argv[3]))
    else:
        check(sys.argv[2])
