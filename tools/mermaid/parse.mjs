// Parse Mermaid text from stdin with Mermaid's own parser; print one JSON line:
// {"ok": true, "type": "<diagram type>", "vertices": {id: label}, "edges": [...]}
// or {"ok": false, "error": "..."} (exit 1). Labels are the text a reader sees:
// entity codes (#quot;, #35;) decoded as Mermaid's renderer decodes them.
// Mermaid reads a DOM when loaded (DOMPurify), so a jsdom window stands in for a browser.
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });

// Mermaid's parse keeps entity codes as placeholders (its encodeEntities); its
// renderer turns them into HTML entities, which the page then decodes.
function decoded(label) {
  const html = String(label)
    .replace(/\uFB02\u00B0\u00B0(\d+)\u00B6\u00DF/g, "&#$1;")
    .replace(/\uFB02\u00B0(\w+)\u00B6\u00DF/g, "&$1;");
  const area = document.createElement("textarea");
  area.innerHTML = html;
  return area.value;
}

let text = "";
for await (const chunk of process.stdin) text += chunk;
try {
  const result = await mermaid.parse(text);
  const out = { ok: true, type: result.diagramType, vertices: {}, edges: [] };
  const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
  const db = diagram.db;
  if (typeof db.getVertices === "function") {
    for (const [id, vertex] of db.getVertices()) out.vertices[id] = decoded(vertex.text);
    out.edges = db.getEdges().map((e) => ({ start: e.start, end: e.end, text: decoded(e.text) }));
  }
  console.log(JSON.stringify(out));
} catch (error) {
  console.log(JSON.stringify({ ok: false, error: String(error?.message ?? error) }));
  process.exitCode = 1;
}
