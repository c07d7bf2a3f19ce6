// Parses the Mermaid block of each Markdown file given with Mermaid itself (tests/picture).
// mermaid.parse needs a DOM (DOMPurify sanitises labels): jsdom provides one.
// Prints one JSON line per file: {"file", "ok", "type", "vertices", "edges", "subgraphs"} or
// {"file", "ok": false, "error"}; exits 1 if any failed. Labels are given as Mermaid will
// draw them: its parser keeps an entity code `#<n>;` as "ﬂ°°<n>¶ß" until it draws the label
// (mermaid's decodeEntities), decoded here the same way.
import { readFileSync } from "node:fs";
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!DOCTYPE html><html><body></body></html>", { pretendToBeVisual: true });
globalThis.window = dom.window;
globalThis.document = dom.window.document;
for (const name of ["navigator", "Element", "HTMLElement", "Node", "DOMParser", "SVGElement"]) {
  if (!(name in globalThis)) {
    Object.defineProperty(globalThis, name, { value: dom.window[name], configurable: true });
  }
}
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });

const decode = (text) => text.replace(/ﬂ°°(\d+)¶ß/g, (_, code) => String.fromCodePoint(Number(code)));

// The Azure DevOps block: a line "::: mermaid", the diagram, a line ":::".
const BLOCK = /^::: mermaid\n([\s\S]*?)^:::$/m;
let failed = false;
for (const file of process.argv.slice(2)) {
  const match = BLOCK.exec(readFileSync(file, "utf8"));
  if (!match) {
    console.log(JSON.stringify({ file, ok: false, error: "no ::: mermaid block" }));
    failed = true;
    continue;
  }
  try {
    const result = await mermaid.parse(match[1]);
    const { db } = await mermaid.mermaidAPI.getDiagramFromText(match[1]);
    console.log(
      JSON.stringify({
        file,
        ok: true,
        type: result.diagramType,
        vertices: [...db.getVertices().values()].map((v) => [v.id, decode(v.text), v.type ?? null]),
        edges: db.getEdges().map((e) => [e.start, e.end, decode(e.text ?? ""), e.stroke]),
        subgraphs: db.getSubGraphs().map((g) => [g.id, decode(g.title), g.nodes]),
      }),
    );
  } catch (error) {
    console.log(JSON.stringify({ file, ok: false, error: String(error.message || error) }));
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
