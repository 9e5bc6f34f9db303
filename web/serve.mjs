// A static server for the page, with HTTP range requests (what the page needs to open a
// URL without downloading it): `node web/serve.mjs [--port 8080] [--data DIR]` serves
// web/ at / and DIR (if given) at /data/. Listens on localhost only. Files may be read
// from pages of other origins (CORS), as a data server for the page must allow.
import { createServer } from "node:http";
import { createReadStream, statSync } from "node:fs";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript",
  ".css": "text/css", ".wasm": "application/wasm", ".json": "application/json",
};

/** Starts the server; resolves to it once it listens. */
export function serve({ port = 8080, data = null } = {}) {
  const web = fileURLToPath(new URL(".", import.meta.url));
  const server = createServer((req, res) => {
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.setHeader("Access-Control-Expose-Headers", "Content-Range, Content-Length, Accept-Ranges");
    if (req.method === "OPTIONS") {
      res.writeHead(204, { "Access-Control-Allow-Headers": "Range", "Access-Control-Allow-Methods": "GET, HEAD" }).end();
      return;
    }
    const path = decodeURIComponent(new URL(req.url, "http://localhost").pathname);
    const [root, rest] = data && path.startsWith("/data/") ? [resolve(data), path.slice(6)] : [web, path];
    const file = normalize(join(root, rest.endsWith("/") || rest === "" ? `${rest}index.html` : rest));
    let st;
    try {
      if (!file.startsWith(resolve(root) + sep) && file !== resolve(root)) throw new Error("outside");
      st = statSync(file);
      if (!st.isFile()) throw new Error("not a file");
    } catch {
      res.writeHead(404).end("not found");
      return;
    }
    const headers = { "Content-Type": TYPES[extname(file)] || "application/octet-stream", "Accept-Ranges": "bytes", "Cache-Control": "no-store" };
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range || "");
    if (m) {
      const start = Number(m[1]);
      const end = Math.min(m[2] ? Number(m[2]) : st.size - 1, st.size - 1);
      if (start > end) {
        res.writeHead(416, { "Content-Range": `bytes */${st.size}` }).end();
        return;
      }
      res.writeHead(206, { ...headers, "Content-Range": `bytes ${start}-${end}/${st.size}`, "Content-Length": end - start + 1 });
      if (req.method === "HEAD") res.end();
      else createReadStream(file, { start, end }).pipe(res);
      return;
    }
    res.writeHead(200, { ...headers, "Content-Length": st.size });
    if (req.method === "HEAD") res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((ok) => server.listen(port, "127.0.0.1", () => ok(server)));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : dflt;
  };
  const server = await serve({ port: Number(arg("--port", 8080)), data: arg("--data", null) });
  console.log(`serving on http://127.0.0.1:${server.address().port}/`);
}
