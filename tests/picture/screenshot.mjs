// Draws the Mermaid block of a Markdown file as a person would see it: Mermaid's browser
// bundle in headless Chromium (the binary @sparticuz/chromium ships inside its npm package),
// offline. Writes <out>.svg and <out>.png and prints one JSON line with what was drawn.
// Usage: node screenshot.mjs PIPELINE.md OUT_PREFIX
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import chromium from "@sparticuz/chromium";
import puppeteer from "puppeteer-core";

const [file, out] = process.argv.slice(2);
const match = /^::: mermaid\n([\s\S]*?)^:::$/m.exec(readFileSync(file, "utf8"));
if (!match) throw new Error(`${file}: no ::: mermaid block`);
const bundle = createRequire(import.meta.url).resolve("mermaid/dist/mermaid.min.js");

const browser = await puppeteer.launch({
  executablePath: await chromium.executablePath(),
  args: chromium.args,
  headless: true,
});
try {
  const page = await browser.newPage();
  // No network: every request but the inline page fails, so nothing is fetched from outside.
  await page.setRequestInterception(true);
  page.on("request", (request) => (request.url().startsWith("data:") ? request.continue() : request.abort()));
  await page.setViewport({ width: 1600, height: 1200, deviceScaleFactor: 1 });
  await page.setContent("<!DOCTYPE html><html><body><div id='picture'></div></body></html>");
  await page.addScriptTag({ path: bundle });
  const drawn = await page.evaluate(async (text) => {
    window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
    const { svg } = await window.mermaid.render("pipeline", text);
    const holder = document.getElementById("picture");
    holder.innerHTML = svg;
    const box = holder.querySelector("svg").getBoundingClientRect();
    const labels = [...holder.querySelectorAll(".nodeLabel, .edgeLabel, .cluster-label")];
    return {
      svg,
      width: box.width,
      height: box.height,
      nodes: holder.querySelectorAll("g.node").length,
      clusters: holder.querySelectorAll("g.cluster").length,
      edges: holder.querySelectorAll("path.flowchart-link").length,
      labels: labels.map((l) => l.textContent),
    };
  }, match[1]);
  writeFileSync(`${out}.svg`, drawn.svg);
  const element = await page.$("#picture svg");
  await element.screenshot({ path: `${out}.png` });
  delete drawn.svg;
  console.log(JSON.stringify(drawn));
} finally {
  await browser.close();
}
