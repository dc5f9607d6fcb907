// Previews of one artifact file by kind: text, JSON, YAML, CSV, Markdown, images, MLmodel,
// and HTML/SVG inside a sandboxed frame. Content is only ever inserted as text nodes.
import { el } from "./dom.js";
import { renderMarkdown } from "./markdown.js";
import { parseYaml } from "./yaml_lite.js";

export const TEXT_LIMIT_BYTES = 512 * 1024;
const STRUCTURED_LIMIT_BYTES = 2 * 1024 * 1024;
const FRAME_LIMIT_BYTES = 2 * 1024 * 1024;
const CSV_LIMIT_BYTES = 1024 * 1024;
export const CSV_MAX_ROWS = 500;
const IMAGE_TYPES = new Set(["png", "jpg", "jpeg", "gif", "webp", "bmp"]);
const TEXT_TYPES = new Set([
  "txt", "log", "out", "err", "py", "sh", "cfg", "ini", "toml", "conf", "r", "sql", "js", "ts",
  "java", "scala", "c", "h", "cpp", "go", "rs", "rst", "tex", "xml", "env", "properties", "lock",
]);
const TEXT_NAMES = new Set(["requirements.txt", "Dockerfile", "Makefile", "LICENSE", "README", "MLproject"]);

/** How a file is previewed, from its name: image, svg, html, json, yaml, mlmodel, csv, markdown, text. */
export function previewKind(name) {
  if (name === "MLmodel") return "mlmodel";
  const dot = name.lastIndexOf(".");
  const extension = dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
  if (IMAGE_TYPES.has(extension)) return "image";
  if (extension === "svg") return "svg";
  if (extension === "html" || extension === "htm") return "html";
  if (extension === "json") return "json";
  if (extension === "yaml" || extension === "yml") return "yaml";
  if (extension === "csv" || extension === "tsv") return "csv";
  if (extension === "md" || extension === "markdown") return "markdown";
  if (TEXT_TYPES.has(extension) || TEXT_NAMES.has(name) || extension === "jsonl") return "text";
  return "unknown";
}

export function formatBytes(bytes) {
  if (bytes === undefined || bytes === null) return "";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = Number(bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Read at most `maxBytes` of `url`; resolve to {text, bytes, truncated}. */
export async function fetchCapped(url, maxBytes) {
  const response = await fetch(url);
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      message = (await response.json()).message || message;
    } catch {
      // Not a JSON error body: the status says enough.
    }
    throw new Error(message);
  }
  const reader = response.body.getReader();
  const chunks = [];
  let total = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.length;
    if (total > maxBytes) {
      truncated = true;
      reader.cancel().catch(() => {});
      break;
    }
  }
  const bytes = new Uint8Array(Math.min(total, maxBytes));
  let offset = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, bytes.length - offset);
    bytes.set(part, offset);
    offset += part.length;
    if (offset >= bytes.length) break;
  }
  return { text: new TextDecoder("utf-8").decode(bytes), bytes, truncated };
}

function looksBinary(bytes) {
  const sample = bytes.subarray(0, 8000);
  return sample.includes(0);
}

function truncationNote(loaded, size, limit) {
  if (!loaded.truncated) return "";
  return el("p", { className: "preview-note" }, `Showing the first ${formatBytes(limit)}${size ? ` of ${formatBytes(size)}` : ""}. Download the file to see all of it.`);
}

function pre(text, className = "") {
  return el("pre", { className: `preview-text ${className}`.trim() }, text);
}

// -- renderers: each resolves to the nodes to show ----------------------------------------

async function textPreview(file) {
  const loaded = await fetchCapped(file.url, TEXT_LIMIT_BYTES);
  if (looksBinary(loaded.bytes)) return [el("p", { className: "muted" }, "This looks like a binary file; download it to open it.")];
  return [truncationNote(loaded, file.size, TEXT_LIMIT_BYTES), pre(loaded.text)];
}

function jsonNodes(value, depth = 0) {
  // Pretty JSON as text spans with classes, so keys, strings and numbers read apart.
  const indent = "  ".repeat(depth);
  if (value === null || typeof value !== "object") {
    const kind = value === null ? "null" : typeof value;
    return [el("span", { className: `json-${kind}` }, JSON.stringify(value))];
  }
  const isArray = Array.isArray(value);
  const entries = isArray ? value.map((item, index) => [index, item]) : Object.entries(value);
  if (!entries.length) return [isArray ? "[]" : "{}"];
  const nodes = [isArray ? "[\n" : "{\n"];
  entries.forEach(([key, item], index) => {
    nodes.push(`${indent}  `);
    if (!isArray) nodes.push(el("span", { className: "json-key" }, JSON.stringify(key)), ": ");
    nodes.push(...jsonNodes(item, depth + 1));
    nodes.push(index < entries.length - 1 ? ",\n" : "\n");
  });
  nodes.push(`${indent}${isArray ? "]" : "}"}`);
  return nodes;
}

async function jsonPreview(file) {
  const loaded = await fetchCapped(file.url, STRUCTURED_LIMIT_BYTES);
  if (loaded.truncated) return [truncationNote(loaded, file.size, STRUCTURED_LIMIT_BYTES), pre(loaded.text)];
  try {
    return [el("pre", { className: "preview-text preview-json" }, jsonNodes(JSON.parse(loaded.text)))];
  } catch (error) {
    return [el("p", { className: "preview-note" }, `Not valid JSON (${error.message}); shown as text.`), pre(loaded.text)];
  }
}

function yamlNodes(text) {
  // Keys stand out; everything stays text.
  const nodes = [];
  for (const line of text.split("\n")) {
    const match = /^(\s*(?:-\s+)?)([^\s:#'"][^:#]*?|'[^']*'|"[^"]*"):(\s|$)(.*)$/.exec(line);
    if (match && !line.trimStart().startsWith("#")) {
      nodes.push(match[1], el("span", { className: "json-key" }, match[2]), `:${match[3]}`, match[4], "\n");
    } else if (line.trimStart().startsWith("#")) nodes.push(el("span", { className: "yaml-comment" }, line), "\n");
    else nodes.push(line, "\n");
  }
  return nodes;
}

async function yamlPreview(file) {
  const loaded = await fetchCapped(file.url, STRUCTURED_LIMIT_BYTES);
  return [truncationNote(loaded, file.size, STRUCTURED_LIMIT_BYTES), el("pre", { className: "preview-text preview-yaml" }, yamlNodes(loaded.text))];
}

/** Split CSV text into rows of cells (RFC 4180 quotes; `delimiter` , or tab). */
export function parseCsv(text, delimiter = ",", maxRows = Infinity) {
  const rows = [];
  let row = [];
  let cell = "";
  let quoted = false;
  for (let index = 0; index < text.length && rows.length < maxRows; index += 1) {
    const char = text[index];
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        cell += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"' && cell === "") quoted = true;
    else if (char === delimiter) {
      row.push(cell);
      cell = "";
    } else if (char === "\n" || char === "\r") {
      if (char === "\r" && text[index + 1] === "\n") index += 1;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else cell += char;
  }
  if ((cell !== "" || row.length) && rows.length < maxRows) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

async function csvPreview(file) {
  const loaded = await fetchCapped(file.url, CSV_LIMIT_BYTES);
  let text = loaded.text;
  // A cut file ends mid-row: drop the partial last line.
  if (loaded.truncated) text = text.slice(0, text.lastIndexOf("\n") + 1);
  const rows = parseCsv(text, file.name.toLowerCase().endsWith(".tsv") ? "\t" : ",", CSV_MAX_ROWS + 1);
  if (!rows.length) return [el("p", { className: "muted" }, "Empty file.")];
  const [header, ...body] = rows;
  const shown = body.slice(0, CSV_MAX_ROWS);
  const more = body.length > CSV_MAX_ROWS || loaded.truncated;
  const numeric = header.map((_, column) => shown.length > 0 && shown.every((row) => row[column] === undefined || row[column] === "" || Number.isFinite(Number(row[column]))));
  return [
    el("p", { className: "preview-note" }, `${shown.length.toLocaleString()} rows × ${header.length} columns${more ? ` (the first ${shown.length.toLocaleString()} rows; download for all)` : ""}`),
    el("div", { className: "preview-table" },
      el("table", { className: "data-table csv-table" },
        el("thead", {}, el("tr", {}, header.map((cell, column) => el("th", { scope: "col", className: numeric[column] ? "num" : null }, cell)))),
        el("tbody", {}, shown.map((row) => el("tr", {}, header.map((_, column) => el("td", { className: numeric[column] ? "num" : null }, row[column] ?? ""))))))),
  ];
}

async function markdownPreview(file) {
  const loaded = await fetchCapped(file.url, TEXT_LIMIT_BYTES);
  return [truncationNote(loaded, file.size, TEXT_LIMIT_BYTES), el("div", { className: "markdown preview-markdown" }, renderMarkdown(loaded.text))];
}

function imagePreview(file) {
  const image = el("img", { src: file.url, alt: file.name, className: "preview-image", decoding: "async" });
  const holder = el("div", { className: "preview-image-wrap" }, image);
  image.addEventListener("load", () => {
    holder.after(el("p", { className: "preview-note" }, `${image.naturalWidth} × ${image.naturalHeight} px`));
  }, { once: true });
  image.addEventListener("error", () => holder.replaceChildren(el("p", { className: "muted" }, "The image could not be shown.")), { once: true });
  return [holder];
}

function sandboxedFrame(file, html) {
  // No allow-scripts and no allow-same-origin: the document runs nothing, reaches nothing.
  // It also inherits this page's Content-Security-Policy (srcdoc), so inline styles stay off.
  const frame = el("iframe", { sandbox: "", title: `Preview of ${file.name}`, className: "preview-frame", referrerpolicy: "no-referrer" });
  frame.srcdoc = html;
  return frame;
}

function base64(bytes) {
  let binary = "";
  for (let index = 0; index < bytes.length; index += 0x8000) binary += String.fromCharCode(...bytes.subarray(index, index + 0x8000));
  return btoa(binary);
}

async function svgPreview(file) {
  const loaded = await fetchCapped(file.url, FRAME_LIMIT_BYTES);
  if (loaded.truncated) return [truncationNote(loaded, file.size, FRAME_LIMIT_BYTES)];
  // Drawn as an image inside the sandbox: SVG images never run script or load anything.
  const html = `<!doctype html><meta charset="utf-8"><body><img alt="" src="data:image/svg+xml;base64,${base64(loaded.bytes)}"></body>`;
  return [sandboxedFrame(file, html)];
}

async function htmlPreview(file) {
  const loaded = await fetchCapped(file.url, FRAME_LIMIT_BYTES);
  if (loaded.truncated) return [truncationNote(loaded, file.size, FRAME_LIMIT_BYTES)];
  return [
    el("p", { className: "preview-note" }, "Shown in a sandbox: its scripts and inline styles do not run. Download the file to see it fully."),
    sandboxedFrame(file, loaded.text),
  ];
}

// -- MLmodel ---------------------------------------------------------------------------------

function specTable(title, spec) {
  let columns = spec;
  if (typeof spec === "string") {
    try {
      columns = JSON.parse(spec);
    } catch {
      return el("div", {}, el("h4", {}, title), pre(spec));
    }
  }
  if (!Array.isArray(columns)) return el("div", {}, el("h4", {}, title), pre(JSON.stringify(columns, null, 2)));
  const typeOf = (column) => column.type === "tensor" && column["tensor-spec"]
    ? `tensor<${column["tensor-spec"].dtype}> ${JSON.stringify(column["tensor-spec"].shape)}` : String(column.type ?? "");
  const hasDefault = columns.some((column) => "default" in column);
  return el("div", { className: "spec" }, el("h4", {}, title),
    el("table", { className: "kv-table compact signature-table" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Name"), el("th", { scope: "col" }, "Type"), el("th", { scope: "col" }, "Required"),
        hasDefault ? el("th", { scope: "col" }, "Default") : "")),
      el("tbody", {}, columns.map((column) => el("tr", {},
        el("td", {}, column.name ?? el("span", { className: "muted" }, "(unnamed)")),
        el("td", { className: "mono" }, typeOf(column)),
        el("td", {}, column.required === false ? "no" : "yes"),
        hasDefault ? el("td", { className: "mono" }, JSON.stringify(column.default ?? null)) : "")))));
}

function describeValue(value, depth = 0) {
  if (value === null || value === undefined) return el("span", { className: "muted" }, "—");
  if (typeof value === "object" && !Array.isArray(value) && depth < 3) {
    return el("ul", { className: "nested-list" },
      Object.entries(value).map(([key, item]) => el("li", {}, el("span", { className: "muted" }, `${key}: `), describeValue(item, depth + 1))));
  }
  if (typeof value === "object") return el("code", {}, JSON.stringify(value));
  return String(value);
}

async function mlmodelPreview(file) {
  const loaded = await fetchCapped(file.url, STRUCTURED_LIMIT_BYTES);
  let model = null;
  try {
    model = parseYaml(loaded.text);
  } catch {
    model = null;
  }
  if (!model || typeof model !== "object" || Array.isArray(model)) return [el("p", { className: "preview-note" }, "Could not read this MLmodel; shown as text."), pre(loaded.text)];
  const { flavors = {}, signature = null, ...rest } = model;
  const facts = Object.entries(rest).filter(([, value]) => value === null || typeof value !== "object");
  const flavorCards = Object.entries(flavors || {}).map(([name, settings]) =>
    el("div", { className: "flavor" }, el("h4", {}, name),
      el("dl", { className: "mini-facts" }, Object.entries(settings || {}).flatMap(([key, value]) => [el("dt", {}, key), el("dd", {}, describeValue(value))]))));
  const nodes = [
    el("section", { className: "mlmodel", "aria-label": "Model metadata" },
      el("dl", { className: "mini-facts" }, facts.flatMap(([key, value]) => [el("dt", {}, key), el("dd", {}, describeValue(value))])),
      el("h3", {}, "Flavors"),
      el("div", { className: "flavors" }, flavorCards.length ? flavorCards : el("p", { className: "muted" }, "None.")),
      el("h3", {}, "Signature"),
      signature ? el("div", { className: "signature" },
        signature.inputs ? specTable("Inputs", signature.inputs) : "",
        signature.outputs ? specTable("Outputs", signature.outputs) : "",
        signature.params ? specTable("Params", signature.params) : "")
        : el("p", { className: "muted" }, "This model has no signature.")),
    el("details", { className: "raw" }, el("summary", {}, "MLmodel file"), el("pre", { className: "preview-text preview-yaml" }, yamlNodes(loaded.text))),
  ];
  return nodes;
}

const RENDERERS = {
  text: textPreview,
  unknown: textPreview,
  json: jsonPreview,
  yaml: yamlPreview,
  csv: csvPreview,
  markdown: markdownPreview,
  image: imagePreview,
  svg: svgPreview,
  html: htmlPreview,
  mlmodel: mlmodelPreview,
};

/** Resolve to the preview nodes of `file` ({name, path, url, size}). */
export async function renderPreview(file) {
  const kind = previewKind(file.name);
  return { kind, nodes: await RENDERERS[kind](file) };
}

