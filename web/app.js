// The page: asks the worker to open a file, then shows its summary, its attribute
// tables and a heatmap. All work on the file happens in the worker.
import { pixels } from "./colormap.js";

const $ = (id) => document.getElementById(id);
const worker = new Worker("worker.js", { type: "module" });
const pending = new Map();
let nextId = 1;

worker.onmessage = (e) => {
  const { id, ...reply } = e.data;
  const p = pending.get(id);
  pending.delete(id);
  if (reply.ok) p.resolve(reply);
  else p.reject(new Error(reply.error));
};

function ask(op, args) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, op, ...args });
  });
}

const kib = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;

/** Keeps how much of the file has been read so far on the status line (and its data-*). */
function record(stats) {
  const st = $("status").dataset;
  st.bytesRead = String(stats.totalBytes);
  st.reads = String(stats.totalReads);
  st.size = String(stats.size);
}

const readText = (stats) => `${stats.reads} reads of ${kib(stats.bytes)} in ${stats.readMs.toFixed(0)} ms`;

function status(text, state) {
  $("status").textContent = text;
  $("status").dataset.state = state;
}

function fillTable(table, header, rows) {
  table.replaceChildren();
  if (header) {
    const tr = table.insertRow();
    for (const h of header) {
      const th = document.createElement("th");
      th.textContent = h;
      tr.append(th);
    }
  }
  for (const row of rows) {
    const tr = table.insertRow();
    for (const cell of row) tr.insertCell().textContent = typeof cell === "string" ? cell : JSON.stringify(cell);
  }
}

const table = { axis: 0, query: "", start: 0, count: 50, matches: 0 };

async function showTable() {
  const { table: t, stats } = await ask("attrs", table);
  record(stats);
  table.matches = t.matches;
  fillTable($("attr-table"), ["#", ...t.names], t.rows);
  const end = Math.min(table.start + table.count, t.matches);
  $("attr-count").textContent = `${t.matches ? table.start + 1 : 0}–${end} of ${t.matches} (${t.total} in all)`;
  $("attr-skipped").textContent = t.skipped.length ? `Not shown: ${t.skipped.join("; ")}.` : "";
}

/** A dtype as `loom info` prints it: numpy's text, or a string type in words. */
function dtypeText(d) {
  if (typeof d === "string") return d;
  if (d && d.class === "string") return `string (${d.size === "variable" ? "variable length" : `${d.size} bytes`}, ${d.charset})`;
  return JSON.stringify(d);
}

function showInfo(info, stats) {
  $("info").hidden = false;
  $("title").textContent = info.name;
  $("shape").textContent = `${info.shape[0]} × ${info.shape[1]}`;
  $("spec").textContent = info.spec_version;
  $("verdict").textContent = info.valid ? "valid loom file" : "not a valid loom file";
  $("verdict").className = info.valid ? "valid" : "invalid";
  $("errors").replaceChildren(...info.errors.map((e) => Object.assign(document.createElement("li"), { textContent: e })));
  fillTable($("layers"), ["name", "dtype"], Object.entries(info.layers).map(([k, v]) => [k === "" ? '"" (main)' : k, dtypeText(v.dtype)]));
  for (const [key, id] of [["row_attrs", "row-attrs"], ["col_attrs", "col-attrs"]]) {
    fillTable($(id), ["name", "dtype", "shape"], Object.entries(info[key]).map(([k, v]) => [k, dtypeText(v.dtype), v.shape.join(" × ")]));
  }
  const graphs = [
    ...Object.entries(info.row_graphs).map(([k, v]) => [k, "rows", v.edges]),
    ...Object.entries(info.col_graphs).map(([k, v]) => [k, "columns", v.edges]),
  ];
  fillTable($("graphs"), ["name", "axis", "edges"], graphs);
  fillTable($("global-attrs"), ["name", "value"], Object.entries(info.attrs));
  $("tree").textContent = info.tree;
  $("layer").replaceChildren(
    ...Object.keys(info.layers).map((k) => Object.assign(document.createElement("option"), { value: k, textContent: k || "(main)" })),
  );
  $("tables").hidden = !info.is_loom;
  $("map").hidden = !info.is_loom;
  record(stats);
  status(`Opened ${info.name} in ${stats.ms.toFixed(0)} ms (${readText(stats)}).`, "opened");
}

async function drawHeatmap() {
  const args = {
    layer: $("layer").value,
    genes: $("genes").value,
    top: Number($("top").value),
    cells: Number($("cells").value),
  };
  $("heatmap-status").textContent = "Reading…";
  const { heatmap: h, stats } = await ask("heatmap", args);
  record(stats);
  const rows = h.rows.length;
  const cols = h.cols;
  const canvas = $("heatmap");
  canvas.width = cols;
  canvas.height = rows;
  if (rows && cols) {
    canvas.getContext("2d").putImageData(new ImageData(pixels(h.values, rows, cols), cols, rows), 0, 0);
  }
  const rowPx = Math.max(2, Math.min(12, Math.floor(600 / Math.max(rows, 1))));
  canvas.style.height = `${rows * rowPx}px`;
  $("labels").style.lineHeight = `${rowPx}px`;
  $("labels").style.fontSize = `${Math.min(rowPx, 11)}px`;
  $("labels").textContent = h.labels.join("\n");
  canvas.dataset.rows = JSON.stringify(h.rows);
  $("heatmap-status").textContent = `${rows} rows × ${cols} columns in ${stats.ms.toFixed(0)} ms (${readText(stats)}).`;
  $("heatmap-status").dataset.ms = String(stats.ms);
}

async function open(args, name) {
  status(`Opening ${name}…`, "opening");
  try {
    const { info, stats } = await ask("open", { ...args, name });
    showInfo(info, stats);
    if (info.is_loom) {
      Object.assign(table, { axis: 0, query: "", start: 0 });
      await showTable();
      await drawHeatmap();
    }
    const st = $("status").dataset;
    status(`${$("status").textContent} Ready: read ${kib(Number(st.bytesRead))} of the file's ${kib(Number(st.size))}.`, "ready");
  } catch (err) {
    status(`Could not open ${name}: ${err.message}`, "error");
  }
}

function guard(fn) {
  return (...a) => fn(...a).catch((err) => status(err.message, "error"));
}

$("file").addEventListener("change", () => {
  const f = $("file").files[0];
  if (f) open({ file: f }, f.name);
});
$("drop").addEventListener("dragover", (e) => { e.preventDefault(); $("drop").classList.add("over"); });
$("drop").addEventListener("dragleave", () => $("drop").classList.remove("over"));
$("drop").addEventListener("drop", (e) => {
  e.preventDefault();
  $("drop").classList.remove("over");
  const f = e.dataTransfer.files[0];
  if (f) open({ file: f }, f.name);
});
$("url-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const url = new URL($("url").value, location.href).href;
  open({ url }, url.split("/").pop());
});
$("axis").addEventListener("change", guard(async () => {
  Object.assign(table, { axis: Number($("axis").value), start: 0 });
  await showTable();
}));
$("attr-search").addEventListener("input", guard(async () => {
  Object.assign(table, { query: $("attr-search").value, start: 0 });
  await showTable();
}));
$("attr-prev").addEventListener("click", guard(async () => {
  table.start = Math.max(0, table.start - table.count);
  await showTable();
}));
$("attr-next").addEventListener("click", guard(async () => {
  if (table.start + table.count < table.matches) table.start += table.count;
  await showTable();
}));
$("heatmap-form").addEventListener("submit", (e) => {
  e.preventDefault();
  drawHeatmap().catch((err) => { $("heatmap-status").textContent = err.message; });
});
// ?url=… opens a URL at once (links to a file, and the browser test).
const start = new URLSearchParams(location.search).get("url");
if (start) {
  $("url").value = start;
  const url = new URL(start, location.href).href;
  open({ url }, url.split("/").pop());
}
