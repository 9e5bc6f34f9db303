// The page in a real browser: Debian's Chromium, headless, driven by playwright-core.
// Opens fixtures by picking them (FileReaderSync over Blob.slice in the worker) and by
// URL (range requests), and checks the shape, an attribute value and the heatmap's
// pixels against what the native `loom` (hdf5-lite + loom-core) reads from the same file.
//
// Env: LOOM_BIN (native loom, default target/debug/loom), CHROMIUM (default
// /usr/bin/chromium), LOOM_BENCH_FILE (a big file to time: open and heatmap).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serve } from "../serve.mjs";
import { pixels } from "../colormap.js";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");
const fixtures = join(repo, "fixtures");
const loomBin = resolve(repo, process.env.LOOM_BIN || "target/debug/loom");
const FIXTURE = "01_loompy_create_dense.loom";
// The page's defaults.
const TOP = 50;
const CELLS = 200;

let server;
let browser;
let scratch;
let base;

const native = (...args) => JSON.parse(execFileSync(loomBin, args, { maxBuffer: 1 << 30 }).toString());

before(async () => {
  server = await serve({ port: 0, data: fixtures });
  base = `http://127.0.0.1:${server.address().port}`;
  mkdirSync(join(repo, "target/tmp"), { recursive: true });
  scratch = mkdtempSync(join(repo, "target/tmp/loom-browser-"));
  // Playwright's browser profile goes to the temporary directory: keep it in ours.
  process.env.TMPDIR = scratch;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--no-first-run", "--disable-quic", "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close();
  server?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

async function newPage() {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  return { page, errors };
}

async function waitReady(page, timeout = 60_000) {
  await page.waitForSelector('#status[data-state="ready"], #status[data-state="error"]', { timeout });
  const state = await page.getAttribute("#status", "data-state");
  assert.equal(state, "ready", await page.textContent("#status"));
}

/** The rows the page should pick: largest variance over the first `cells` columns. */
function topVariance(matrix, top, cells) {
  const ranked = matrix.map((row, i) => {
    const xs = row.slice(0, cells);
    const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
    return [xs.reduce((s, v) => s + (v - mean) ** 2, 0) / xs.length, i];
  });
  ranked.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  return ranked.slice(0, top).map(([, i]) => i);
}

async function checkPage(page, fixture) {
  const info = native("info", "--json", join(fixtures, fixture));
  const dump = native("h5", "dump", join(fixtures, fixture));
  const [n, m] = info.shape;
  assert.equal(await page.textContent("#shape"), `${n} × ${m}`);
  assert.equal(await page.textContent("#verdict"), "valid loom file");

  // The attribute table: row 3's Gene, then a search for row 42's.
  const genes = dump.members.row_attrs.members.Gene.data;
  const header = await page.$$eval("#attr-table tr:first-child th", (ths) => ths.map((t) => t.textContent));
  const col = header.indexOf("Gene");
  assert.ok(col > 0, `Gene column in ${header}`);
  const row3 = await page.$$eval("#attr-table tr", (trs) => [...trs[4].cells].map((c) => c.textContent));
  assert.equal(row3[0], "3");
  assert.equal(row3[col], genes[3]);
  await page.fill("#attr-search", genes[42]);
  await page.waitForFunction((g) => {
    const r = document.querySelectorAll("#attr-table tr")[1];
    return r && [...r.cells].some((c) => c.textContent === g);
  }, genes[42]);
  assert.equal(await page.$eval("#attr-table tr:nth-child(2) td", (td) => td.textContent), "42");

  // The heatmap: the rows chosen and every pixel.
  const matrix = dump.members.matrix.data;
  const cells = Math.min(CELLS, m);
  const rows = topVariance(matrix, Math.min(TOP, n), cells);
  const shown = await page.$eval("#heatmap", (c) => ({
    rows: JSON.parse(c.dataset.rows),
    width: c.width,
    height: c.height,
    rgba: [...c.getContext("2d").getImageData(0, 0, c.width, c.height).data],
  }));
  assert.deepEqual(shown.rows, rows);
  assert.equal(shown.width, cells);
  assert.equal(shown.height, rows.length);
  const values = rows.flatMap((r) => matrix[r].slice(0, cells));
  assert.deepEqual(shown.rgba, [...pixels(values, rows.length, cells)]);
}

test("a picked .loom file: shape, attribute, heatmap pixels as the native loom reads them", async () => {
  const { page, errors } = await newPage();
  await page.goto(`${base}/`);
  await page.setInputFiles("#file", join(fixtures, FIXTURE));
  await waitReady(page);
  await checkPage(page, FIXTURE);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a URL read with range requests, from this server and from another origin", async () => {
  const other = await serve({ port: 0, data: fixtures });
  for (const url of [`/data/${FIXTURE}`, `http://127.0.0.1:${other.address().port}/data/${FIXTURE}`]) {
    const { page, errors } = await newPage();
    await page.goto(`${base}/?url=${encodeURIComponent(url)}`);
    await waitReady(page);
    await checkPage(page, FIXTURE);
    assert.deepEqual(errors, []);
    await page.close();
  }
  other.close();
});

test("a dropped file opens as a picked one does", async () => {
  const { page, errors } = await newPage();
  await page.goto(`${base}/`);
  // A file dropped on the drop zone (made in the page from the fixture's bytes).
  await page.evaluate(async (name) => {
    const bytes = await (await fetch(`/data/${name}`)).arrayBuffer();
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], name));
    document.querySelector("#drop").dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, FIXTURE);
  await waitReady(page);
  await checkPage(page, FIXTURE);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a plain HDF5 file shows its tree; a non-HDF5 file a clear error", async () => {
  const { page } = await newPage();
  await page.goto(`${base}/`);
  await page.setInputFiles("#file", join(fixtures, "42_feat_strings.h5"));
  await waitReady(page);
  const tree = await page.textContent("#tree");
  assert.match(tree, /^\/\s+group/);
  assert.equal(await page.isHidden("#map"), true);
  await page.setInputFiles("#file", { name: "junk.loom", mimeType: "application/octet-stream", buffer: Buffer.alloc(4096, 7) });
  await page.waitForSelector('#status[data-state="error"]');
  assert.match(await page.textContent("#status"), /Could not open junk\.loom: .+/);
  await page.close();
});

test("damaged files give a typed error or a verdict on the page, never a crash", async (t) => {
  const { page } = await newPage();
  const crashes = [];
  page.on("pageerror", (e) => crashes.push(e.message));
  page.on("console", (m) => { if (/panicked|unreachable|RuntimeError/.test(m.text())) crashes.push(m.text()); });
  await page.goto(`${base}/`);
  const whole = readFileSync(join(fixtures, FIXTURE));
  const damaged = [
    ["cut.loom", whole.subarray(0, whole.length >> 1)],
    ["zeroed.loom", Buffer.concat([whole.subarray(0, 2048), Buffer.alloc(whole.length - 2048)])],
    ["flipped.loom", Buffer.from(whole.map((b, i) => (i % 97 === 13 ? b ^ 0x5a : b)))],
    ["flipped-late.loom", Buffer.from(whole.map((b, i) => (i > 4096 && i % 211 === 5 ? b ^ 0xff : b)))],
  ];
  for (const [name, buffer] of damaged) {
    await page.setInputFiles("#file", { name, mimeType: "application/octet-stream", buffer });
    await page.waitForFunction((n) => {
      const s = document.querySelector("#status");
      return s.textContent.includes(n) && (s.dataset.state === "ready" || s.dataset.state === "error");
    }, name);
    const said = await page.textContent("#status");
    assert.doesNotMatch(said, /unreachable|panicked|RuntimeError/, said);
    t.diagnostic(said);
  }
  // The page still works after them.
  await page.setInputFiles("#file", join(fixtures, FIXTURE));
  await waitReady(page);
  await checkPage(page, FIXTURE);
  assert.deepEqual(crashes, []);
  await page.close();
});

test("every fixture opens: shape and validation verdict as the native loom says", async () => {
  const { page, errors } = await newPage();
  const files = readdirSync(fixtures).filter((f) => /\.(loom|h5)$/.test(f));
  assert.ok(files.length > 30, `${files.length} fixtures`);
  for (const f of files) {
    await page.goto(`${base}/?url=${encodeURIComponent(`/data/${f}`)}`);
    await waitReady(page);
    const loom = !(await page.isHidden("#map"));
    if (!loom) continue;
    const info = native("info", "--json", join(fixtures, f));
    assert.equal(await page.textContent("#shape"), `${info.shape[0]} × ${info.shape[1]}`, f);
    const valid = spawnSync(loomBin, ["validate", join(fixtures, f)]).status === 0;
    assert.equal(await page.textContent("#verdict"), valid ? "valid loom file" : "not a valid loom file", f);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

/**
 * A loom file of `genes` x `cells` made by the native `loom import mtx` from a
 * MatrixMarket file of small counts (about 1 in 5 nonzero, from a fixed seed); returns
 * its path, the gene names and a function giving the value at (gene, cell).
 */
function makeLargeLoom(genes, cells) {
  const dir = join(scratch, "large");
  mkdirSync(dir);
  let seed = 12345;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const values = new Map();
  const lines = [];
  for (let c = 0; c < cells; c++) {
    for (let g = 0; g < genes; g++) {
      if (next() < 0.2) {
        const v = 1 + Math.floor(next() * 50);
        values.set(g * cells + c, v);
        lines.push(`${g + 1} ${c + 1} ${v}`);
      }
    }
  }
  const names = Array.from({ length: genes }, (_, g) => `Gene${g}`);
  writeFileSync(join(dir, "matrix.mtx"),
    `%%MatrixMarket matrix coordinate integer general\n${genes} ${cells} ${lines.length}\n${lines.join("\n")}\n`);
  writeFileSync(join(dir, "genes.tsv"), names.map((n, g) => `ENSG${g}\t${n}\n`).join(""));
  writeFileSync(join(dir, "barcodes.tsv"), Array.from({ length: cells }, (_, c) => `CELL${c}\n`).join(""));
  const out = join(dir, "large.loom");
  execFileSync(loomBin, ["import", "mtx", "-q", join(dir, "matrix.mtx"), "--rows", join(dir, "genes.tsv"),
    "--cols", join(dir, "barcodes.tsv"), "-o", out]);
  return { path: out, names, at: (g, c) => values.get(g * cells + c) || 0 };
}

test("a larger file is read by ranges, not whole; genes typed by name", async (t) => {
  const [genes, cells] = [2000, 6000];
  const large = makeLargeLoom(genes, cells);
  const size = statSync(large.path).size;
  const info = native("info", "--json", large.path);
  assert.deepEqual(info.shape, [genes, cells]);
  const { page, errors } = await newPage();
  await page.goto(`${base}/`);
  await page.setInputFiles("#file", large.path);
  await waitReady(page);
  assert.equal(await page.textContent("#shape"), `${genes} × ${cells}`);
  const read = Number(await page.getAttribute("#status", "data-bytes-read"));
  assert.equal(Number(await page.getAttribute("#status", "data-size")), size);
  assert.ok(read > 0 && read < size / 5, `read ${read} of ${size} bytes`);
  t.diagnostic(`opened with its attribute table and heatmap: read ${read} of ${size} bytes`);

  // Genes typed by name (any case, in the order typed), over every cell asked for.
  const picked = [1999, 7, 1234];
  await page.fill("#genes", picked.map((g) => large.names[g].toLowerCase()).join(", "));
  await page.fill("#cells", "300");
  const drawn = page.waitForFunction(() => document.querySelector("#heatmap").height === 3);
  await page.click("#heatmap-form button");
  await drawn;
  const shown = await page.$eval("#heatmap", (c) => ({
    rows: JSON.parse(c.dataset.rows),
    labels: document.querySelector("#labels").textContent,
    rgba: [...c.getContext("2d").getImageData(0, 0, c.width, c.height).data],
  }));
  assert.deepEqual(shown.rows, picked);
  assert.equal(shown.labels, picked.map((g) => large.names[g]).join("\n"));
  const values = picked.flatMap((g) => Array.from({ length: 300 }, (_, c) => large.at(g, c)));
  assert.deepEqual(shown.rgba, [...pixels(values, 3, 300)]);
  assert.deepEqual(errors, []);
  await page.close();
});

const bench = process.env.LOOM_BENCH_FILE;
test("time to open a big file and draw its heatmap", { skip: !bench && "LOOM_BENCH_FILE not set" }, async () => {
  for (const how of ["file", "url"]) {
    const { page, errors } = await newPage();
    const t0 = performance.now();
    if (how === "file") {
      await page.goto(`${base}/`);
      await page.setInputFiles("#file", bench);
    } else {
      const big = await serve({ port: 0, data: dirname(bench) });
      await page.goto(`${base}/?url=${encodeURIComponent(`http://127.0.0.1:${big.address().port}/data/${basename(bench)}`)}`);
      page.once("close", () => big.close());
    }
    await waitReady(page, 600_000);
    const wall = performance.now() - t0;
    const open = await page.textContent("#status");
    const heat = await page.textContent("#heatmap-status");
    console.log(`bench ${how}: ${wall.toFixed(0)} ms from pick to heatmap drawn\n  ${open}\n  heatmap: ${heat}`);
    assert.deepEqual(errors, []);
    await page.close();
  }
});
