// The models list: search by name, latest version, aliases, stages, last update; create a
// model; server-side order and paging with page tokens.
import { apiGet, apiSend } from "./api.js";
import { debounce, el, formatAge, formatTime, showMessage } from "./dom.js";
import { quoteString } from "./filters.js";
import { MODELS, modelUrl, versionUrl } from "./models_api.js";
import { aliasChip, stageBadge } from "./model_widgets.js";

const PAGE_SIZE = 100;
const body = document.getElementById("models-body");
const searchForm = document.getElementById("search-form");
const searchBox = document.getElementById("model-search");
const loadMore = document.getElementById("load-more");
const count = document.getElementById("count");
const empty = document.getElementById("empty");
const createForm = document.getElementById("create-form");
const nameInput = document.getElementById("new-model-name");
const headers = [...document.querySelectorAll("th[data-order-key]")];

// What each click on a header does next: name goes A-Z, Z-A; last updated newest first, oldest.
const FIRST_DIRECTION = { name: "ASC", last_updated_timestamp: "DESC" };
const params = new URLSearchParams(location.search);
let order = parseOrder(params.get("order")) || { key: "name", direction: "ASC" };
searchBox.value = params.get("q") || "";
let nextToken = null;
let loaded = 0;
let generation = 0; // a newer search makes the answers of older ones stale

function parseOrder(text) {
  const match = /^(name|last_updated_timestamp) (ASC|DESC)$/.exec(text || "");
  return match ? { key: match[1], direction: match[2] } : null;
}

function searchParams(pageToken) {
  const text = searchBox.value.trim();
  // LIKE is case-sensitive; ILIKE finds "Churn" when "churn" is typed. % and _ typed by
  // the user keep their wildcard meaning, as in the search language.
  return {
    filter: text ? `name ILIKE ${quoteString(`%${text}%`)}` : undefined,
    max_results: PAGE_SIZE,
    order_by: `${order.key} ${order.direction}`,
    page_token: pageToken || undefined,
  };
}

function keepStateInUrl() {
  const query = new URLSearchParams();
  if (searchBox.value.trim()) query.set("q", searchBox.value.trim());
  if (order.key !== "name" || order.direction !== "ASC") query.set("order", `${order.key} ${order.direction}`);
  const suffix = query.toString() ? `?${query}` : "";
  history.replaceState(null, "", location.pathname + suffix);
}

function showOrder() {
  for (const header of headers) {
    const active = header.dataset.orderKey === order.key;
    if (active) header.setAttribute("aria-sort", order.direction === "ASC" ? "ascending" : "descending");
    else header.removeAttribute("aria-sort");
    header.querySelector(".arrow").textContent = active ? (order.direction === "ASC" ? "▲" : "▼") : "";
  }
}

async function load({ append = false } = {}) {
  const mine = ++generation;
  body.setAttribute("aria-busy", "true");
  try {
    const answer = await apiGet(`${MODELS}/search`, searchParams(append ? nextToken : null));
    if (mine !== generation) return;
    const models = answer.registered_models || [];
    if (!append) {
      body.replaceChildren();
      loaded = 0;
    }
    body.append(...models.map(modelRow));
    loaded += models.length;
    nextToken = answer.next_page_token || null;
    loadMore.hidden = !nextToken;
    empty.hidden = loaded > 0;
    empty.textContent = searchBox.value.trim() ? "No models match." : "No registered models yet. Create one above, or register a run's model with trackstone.register_model().";
    count.textContent = `${loaded}${nextToken ? "+" : ""} model${loaded === 1 ? "" : "s"}`;
  } catch (error) {
    if (mine === generation) showMessage(error.message, { isError: true });
  } finally {
    if (mine === generation) body.removeAttribute("aria-busy");
  }
}

function newest(versions) {
  let best = null;
  for (const version of versions) {
    if (best === null || Number(version.version) > Number(best.version)) best = version;
  }
  return best;
}

function modelRow(model) {
  const versions = model.latest_versions || [];
  const latest = newest(versions);
  const staged = versions
    .filter((version) => version.current_stage && !["None", "Archived"].includes(version.current_stage))
    .sort((a, b) => a.current_stage.localeCompare(b.current_stage));
  const aliases = [...(model.aliases || [])].sort((a, b) => a.alias.localeCompare(b.alias));
  const updated = model.last_updated_timestamp;
  return el(
    "tr",
    { "data-model-name": model.name },
    el("td", { className: "name-cell" }, el("a", { href: modelUrl(model.name), className: "model-link", title: model.name }, model.name)),
    el(
      "td",
      { className: "latest-cell" },
      latest ? el("a", { href: versionUrl(model.name, latest.version) }, `Version ${latest.version}`) : el("span", { className: "muted" }, "—"),
    ),
    el("td", { className: "aliases-cell" }, aliases.length ? aliases.map((item) => aliasChip(item.alias, item.version)) : el("span", { className: "muted" }, "—")),
    el(
      "td",
      { className: "stages-cell" },
      staged.length
        ? staged.map((version) => el("span", { className: "stage-pair" }, stageBadge(version.current_stage), ` v${version.version}`))
        : el("span", { className: "muted" }, "—"),
    ),
    el("td", { className: "description-cell muted", title: model.description || null }, model.description || ""),
    el("td", { className: "updated-cell", title: formatTime(updated) }, updated ? formatAge(Number(updated)) : ""),
  );
}

for (const header of headers) {
  header.querySelector("button").addEventListener("click", () => {
    const key = header.dataset.orderKey;
    const first = FIRST_DIRECTION[key];
    const flipped = first === "ASC" ? "DESC" : "ASC";
    order = { key, direction: order.key === key && order.direction === first ? flipped : first };
    showOrder();
    keepStateInUrl();
    load();
  });
}

createForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = nameInput.value.trim();
  if (!name) return;
  try {
    await apiSend("POST", `${MODELS}/create`, { name });
    nameInput.value = "";
    nameInput.removeAttribute("aria-invalid");
    await load();
    showMessage(`Created model “${name}”.`, { action: el("a", { href: modelUrl(name) }, "Open it") });
  } catch (error) {
    nameInput.setAttribute("aria-invalid", "true");
    showMessage(error.message, { isError: true });
  }
});

searchForm.addEventListener("submit", (event) => event.preventDefault());
searchBox.addEventListener(
  "input",
  debounce(() => {
    showMessage("");
    keepStateInUrl();
    load();
  }, 200),
);
loadMore.addEventListener("click", () => load({ append: true }));
document.addEventListener("keydown", (event) => {
  const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement?.tagName);
  if (event.key === "/" && !typing) {
    event.preventDefault();
    searchBox.focus();
  }
});
if (params.get("deleted")) showMessage(`Deleted model “${params.get("deleted")}”.`);
keepStateInUrl(); // drops ?deleted= so a reload does not repeat the message
showOrder();
load();
