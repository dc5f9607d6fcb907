// The run page's artifacts browser: a lazily loaded folder tree and a preview of the chosen file.
// Listings come from artifacts/list; file contents from the server's confined artifact routes.
import { AJAX, apiGet } from "./api.js";
import { formatBytes, previewKind, renderPreview } from "./artifact_previews.js";
import { el, replaceChildren } from "./dom.js";

const PROXY = "/ajax-api/2.0/mlflow-artifacts/artifacts";
const RUN_FILES = `${AJAX}/get-artifact`;
const PROXY_URI = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/i;
const KIND_ICONS = { image: "▣", svg: "▣", csv: "▦", json: "{}", yaml: "≡", mlmodel: "◆", markdown: "¶", html: "⟨⟩" };
const $ = (id) => document.getElementById(id);

const encodePath = (path) => path.split("/").map(encodeURIComponent).join("/");
const baseName = (path) => path.slice(path.lastIndexOf("/") + 1);

/**
 * The URL that downloads `path` of a run's artifacts: the proxy's route for proxied artifact
 * URIs, else get-artifact, which reads through the run's own repository (a server started with
 * --no-serve-artifacts). Both confine the path and send files as inert attachments.
 */
export function artifactUrl(run, path) {
  const uri = run.info.artifact_uri || "";
  const proxied = PROXY_URI.exec(uri);
  if (proxied) {
    const root = proxied[1].replace(/\/+$/, "");
    return `${PROXY}/${encodePath(root ? `${root}/${path}` : path)}`;
  }
  return `${RUN_FILES}?${new URLSearchParams({ run_id: run.info.run_id, path })}`;
}

class ArtifactBrowser {
  constructor(run) {
    this.run = run;
    this.tree = $("artifact-tree");
    this.preview = $("artifact-preview");
    this.selected = null;
    this.generation = 0;
    this.loading = new WeakMap(); // folder button -> the promise of its last toggle
  }

  async list(path) {
    const body = await apiGet(`${AJAX}/artifacts/list`, { run_id: this.run.info.run_id, path: path || undefined });
    const files = body.files || [];
    // Folders first, then files, each by name.
    return files.sort((a, b) => Number(Boolean(b.is_dir)) - Number(Boolean(a.is_dir)) || (a.path < b.path ? -1 : 1));
  }

  async open() {
    try {
      const files = await this.list("");
      $("artifacts-empty").hidden = files.length > 0;
      replaceChildren(this.tree, files.map((file) => this.node(file, 1)));
      const wanted = new URLSearchParams(location.hash.slice(1)).get("artifact");
      if (!(wanted && (await this.reveal(wanted)))) {
        const first = files.find((file) => !file.is_dir);
        if (first) this.select(first);
      }
    } catch (error) {
      replaceChildren(this.tree, el("li", { className: "muted tree-error" }, `Could not list the artifacts: ${error.message}`));
    }
  }

  /** Unfold the folders above `path` and select it; tell whether it was found. */
  async reveal(path) {
    const parts = path.split("/");
    for (let depth = 1; depth < parts.length; depth += 1) {
      const button = this.tree.querySelector(`button.tree-dir[data-path="${CSS.escape(parts.slice(0, depth).join("/"))}"]`);
      if (!button) return false;
      if (button.getAttribute("aria-expanded") !== "true") button.click();
      await this.loading.get(button);
    }
    const file = this.tree.querySelector(`button.tree-file[data-path="${CSS.escape(path)}"]`);
    if (!file) return false;
    file.click();
    return true;
  }

  node(file, level) {
    const name = baseName(file.path);
    if (file.is_dir) {
      const children = el("ul", { role: "group", hidden: true });
      const button = el("button", { type: "button", className: "tree-item tree-dir", "aria-expanded": "false", "data-path": file.path },
        el("span", { className: "twisty", "aria-hidden": "true" }, "▸"), el("span", { className: "tree-name" }, name));
      button.addEventListener("click", () => this.loading.set(button, this.toggle(button, children, file, level)));
      return el("li", { className: `level-${Math.min(level, 8)}` }, button, children);
    }
    const kind = previewKind(name);
    const button = el("button", { type: "button", className: "tree-item tree-file", "data-path": file.path, "aria-current": "false" },
      el("span", { className: "file-icon", "aria-hidden": "true" }, KIND_ICONS[kind] || "·"),
      el("span", { className: "tree-name" }, name),
      el("span", { className: "tree-size muted" }, formatBytes(file.file_size)));
    button.addEventListener("click", () => this.select(file));
    return el("li", { className: `level-${Math.min(level, 8)}` }, button);
  }

  async toggle(button, children, file, level) {
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    button.querySelector(".twisty").textContent = open ? "▾" : "▸";
    children.hidden = !open;
    if (!open || children.dataset.loaded) return;
    children.dataset.loaded = "loading";
    replaceChildren(children, el("li", { className: "muted tree-loading" }, "Loading…"));
    try {
      const files = await this.list(file.path);
      replaceChildren(children, files.length ? files.map((child) => this.node(child, level + 1)) : el("li", { className: "muted tree-loading" }, "Empty folder"));
      children.dataset.loaded = "yes";
    } catch (error) {
      delete children.dataset.loaded;
      replaceChildren(children, el("li", { className: "muted tree-error" }, error.message));
    }
  }

  async select(file) {
    const generation = ++this.generation;
    this.selected = file.path;
    for (const item of this.tree.querySelectorAll(".tree-file")) {
      item.setAttribute("aria-current", String(item.dataset.path === file.path));
    }
    history.replaceState(null, "", `#artifacts&${new URLSearchParams({ artifact: file.path })}`);
    const name = baseName(file.path);
    const url = artifactUrl(this.run, file.path);
    const head = el("div", { className: "preview-head" },
      el("h2", { className: "preview-title" }, name),
      el("span", { className: "muted mono wrap" }, file.path),
      el("span", { className: "muted" }, formatBytes(file.file_size)),
      el("span", { className: "spacer" }),
      el("a", { className: "button", href: url, download: name, "data-role": "download" }, "Download"));
    const body = el("div", { className: "preview-body", "aria-busy": "true" }, el("p", { className: "muted" }, "Loading…"));
    replaceChildren(this.preview, head, body);
    try {
      const { kind, nodes } = await renderPreview({ name, path: file.path, url, size: file.file_size });
      if (generation !== this.generation) return;
      body.dataset.kind = kind;
      replaceChildren(body, nodes);
    } catch (error) {
      if (generation !== this.generation) return;
      replaceChildren(body, el("p", { className: "message message-error" }, `Could not preview ${name}: ${error.message}`));
    } finally {
      body.removeAttribute("aria-busy");
    }
  }
}

/** Create the artifacts browser of `run`; `open()` lists the root. */
export function createArtifactBrowser(run) {
  return new ArtifactBrowser(run);
}
