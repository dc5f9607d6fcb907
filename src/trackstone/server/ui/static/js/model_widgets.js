// Pieces shared by the registry pages: stage badges, alias chips, in-place editors of a
// description and of tags, and a confirmation dialog. Data only ever goes in as text.
import { el, replaceChildren } from "./dom.js";

export const STAGES = ["None", "Staging", "Production", "Archived"];

/** A coloured badge for a version's stage. */
export function stageBadge(stage) {
  const name = stage || "None";
  return el("span", { className: `stage stage-${name.toLowerCase()}` }, name);
}

/** A chip for an alias, optionally naming the version it points at. */
export function aliasChip(alias, version = null) {
  return el(
    "span",
    { className: "alias-chip" },
    el("span", { className: "at", "aria-hidden": "true" }, "@"),
    alias,
    version === null ? null : el("span", { className: "alias-version" }, ` v${version}`),
  );
}

/** An inline error line (`role=alert`) that `show(text)` fills and `show("")` hides. */
export function errorLine() {
  const node = el("div", { className: "inline-error", role: "alert", hidden: true });
  return {
    node,
    show(text) {
      node.hidden = !text;
      node.textContent = text || "";
    },
  };
}

/**
 * A description shown as text with an *Edit* button that swaps it for a textarea.
 * `onSave(text)` returns a promise; a rejection's message stays under the textarea.
 */
export function descriptionEditor({ label, onSave }) {
  const root = el("div", { className: "description-editor" });
  let current = "";
  const error = errorLine();

  function view() {
    const text = current
      ? el("p", { className: "description-text" }, current)
      : el("p", { className: "description-text muted" }, "No description.");
    const edit = el("button", { type: "button", className: "small", onClick: startEdit, "aria-label": `Edit ${label}` }, "Edit");
    replaceChildren(root, el("div", { className: "description-view" }, text, edit));
  }

  function startEdit() {
    const id = `description-${Math.random().toString(36).slice(2)}`;
    const area = el("textarea", { id, rows: "4", maxlength: "5000", spellcheck: "true" });
    area.value = current;
    const form = el(
      "form",
      { className: "description-form", onSubmit: (event) => { event.preventDefault(); save(area.value); } },
      el("label", { for: id, className: "visually-hidden" }, label),
      area,
      el(
        "div",
        { className: "form-buttons" },
        el("button", { type: "submit", className: "small primary" }, "Save"),
        el("button", { type: "button", className: "small", onClick: () => { error.show(""); view(); } }, "Cancel"),
        el("span", { className: "muted hint" }, "Ctrl+Enter saves, Esc cancels"),
      ),
      error.node,
    );
    area.addEventListener("keydown", (event) => {
      if (event.key === "Escape") { error.show(""); view(); }
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); save(area.value); }
    });
    replaceChildren(root, form);
    area.focus();
  }

  async function save(text) {
    try {
      await onSave(text.trim());
      error.show("");
      current = text.trim();
      view();
      root.querySelector("button")?.focus();
    } catch (failure) {
      error.show(failure.message);
    }
  }

  return {
    node: root,
    show(text) {
      current = text || "";
      view();
    },
  };
}

/**
 * A key/value table of tags: each value can be edited in place or the tag removed, and a
 * form adds one. `onSet(key, value)` and `onDelete(key)` return promises; their errors are
 * shown under the table.
 */
export function tagEditor({ label, onSet, onDelete }) {
  const root = el("div", { className: "tag-editor" });
  const error = errorLine();
  const body = el("tbody");
  const empty = el("p", { className: "muted empty-small" }, "No tags.");
  const table = el(
    "table",
    { className: "kv-table" },
    el("caption", { className: "visually-hidden" }, label),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Key"), el("th", { scope: "col" }, "Value"), el("th", { scope: "col" }, el("span", { className: "visually-hidden" }, "Actions")))),
    body,
  );
  const keyInput = el("input", { type: "text", name: "key", placeholder: "Key", "aria-label": `New tag key (${label})`, maxlength: "250", required: true, autocomplete: "off" });
  const valueInput = el("input", { type: "text", name: "value", placeholder: "Value", "aria-label": `New tag value (${label})`, maxlength: "5000", autocomplete: "off" });
  const form = el(
    "form",
    { className: "tag-add", onSubmit: (event) => { event.preventDefault(); add(); } },
    keyInput,
    valueInput,
    el("button", { type: "submit", className: "small" }, "Add tag"),
  );
  root.append(table, empty, form, error.node);
  let tags = [];

  async function attempt(action) {
    try {
      await action();
      error.show("");
      return true;
    } catch (failure) {
      error.show(failure.message);
      return false;
    }
  }

  async function add() {
    const key = keyInput.value.trim();
    if (!key) return;
    const value = valueInput.value;
    if (await attempt(() => onSet(key, value))) {
      keyInput.value = "";
      valueInput.value = "";
      keyInput.focus();
    }
  }

  function row(tag) {
    const keyCell = el("th", { scope: "row", className: "tag-key" }, tag.key);
    const line = el("tr", { "data-tag-key": tag.key });
    const buttons = el(
      "td",
      { className: "actions" },
      el(
        "div",
        {},
        el("button", { type: "button", className: "small", "aria-label": `Edit tag ${tag.key}`, onClick: () => edit(tag, line, keyCell) }, "Edit"),
        el("button", { type: "button", className: "small danger", "aria-label": `Delete tag ${tag.key}`, onClick: () => attempt(() => onDelete(tag.key)) }, "Delete"),
      ),
    );
    line.append(keyCell, el("td", { className: "tag-value" }, tag.value), buttons);
    return line;
  }

  // The value and the buttons make room for one form: value, Save, Cancel.
  function edit(tag, line, keyCell) {
    const input = el("input", { type: "text", "aria-label": `Value of tag ${tag.key}`, maxlength: "5000" });
    input.value = tag.value;
    const cancel = () => render();
    const save = async () => {
      if (!(await attempt(() => onSet(tag.key, input.value)))) input.focus();
    };
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape") cancel();
    });
    const form = el(
      "form",
      { className: "tag-edit", onSubmit: (event) => { event.preventDefault(); save(); } },
      input,
      el("button", { type: "submit", className: "small primary" }, "Save"),
      el("button", { type: "button", className: "small", onClick: cancel }, "Cancel"),
    );
    line.replaceChildren(keyCell, el("td", { colspan: "2", className: "tag-edit-cell" }, form));
    input.focus();
    input.select();
  }

  function render() {
    replaceChildren(body, tags.map(row));
    table.hidden = tags.length === 0;
    empty.hidden = tags.length > 0;
  }

  return {
    node: root,
    show(newTags) {
      tags = [...(newTags || [])].sort((a, b) => a.key.localeCompare(b.key));
      render();
    },
  };
}

/**
 * Ask for confirmation in a modal dialog; resolve to true when confirmed. With
 * `requireText`, the confirm button stays disabled until that text is typed.
 */
export function confirmDialog({ title, text, confirmLabel, requireText = null }) {
  return new Promise((resolve) => {
    const confirm = el("button", { type: "submit", className: "primary danger-fill", value: "confirm" }, confirmLabel);
    const parts = [el("h2", {}, title), el("p", {}, text)];
    if (requireText !== null) {
      const id = `confirm-${Math.random().toString(36).slice(2)}`;
      const input = el("input", { id, type: "text", autocomplete: "off", spellcheck: "false" });
      confirm.disabled = true;
      input.addEventListener("input", () => { confirm.disabled = input.value !== requireText; });
      parts.push(
        el(
          "div",
          { className: "field" },
          el("label", { for: id }, "Type ", el("code", {}, requireText), " to confirm"),
          input,
        ),
      );
    }
    const dialog = el(
      "dialog",
      { className: "confirm-dialog", "aria-labelledby": "" },
      el(
        "form",
        { method: "dialog" },
        parts,
        el(
          "div",
          { className: "form-buttons" },
          el("button", { type: "submit", value: "cancel", formnovalidate: true }, "Cancel"),
          confirm,
        ),
      ),
    );
    const heading = dialog.querySelector("h2");
    heading.id = `dialog-title-${Math.random().toString(36).slice(2)}`;
    dialog.setAttribute("aria-labelledby", heading.id);
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "confirm");
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    (dialog.querySelector("input") || dialog.querySelector("button")).focus();
  });
}

/** Fill a stage `<select>` with the four stages, `selected` chosen. */
export function fillStageSelect(select, selected = "None") {
  replaceChildren(select, STAGES.map((stage) => el("option", { value: stage, selected: stage === selected }, stage)));
}

/**
 * Keep an "archive the versions now in <stage>" checkbox meaningful: it only applies when
 * moving into Staging or Production, so it is disabled (and unchecked) otherwise.
 */
export function linkArchiveCheckbox(stageSelect, checkbox, labelText) {
  const update = () => {
    const stage = stageSelect.value;
    const applies = stage === "Staging" || stage === "Production";
    checkbox.disabled = !applies;
    if (!applies) checkbox.checked = false;
    labelText.textContent = applies ? `Archive the versions now in ${stage}` : "Archive the versions now in this stage (Staging or Production only)";
  };
  stageSelect.addEventListener("change", update);
  update();
  return update;
}

/** Describe what a transition did: "Version 2 moved to Production; version 1 archived." */
export function transitionSummary(version, stage, before, after) {
  const archived = after
    .filter((item) => item.version !== String(version) && item.current_stage === "Archived")
    .filter((item) => before.some((old) => old.version === item.version && old.current_stage !== "Archived"))
    .map((item) => item.version);
  const moved = `Version ${version} moved to ${stage}`;
  if (!archived.length) return `${moved}.`;
  const list = archived.length === 1 ? `version ${archived[0]}` : `versions ${archived.join(", ")}`;
  return `${moved}; ${list} archived.`;
}
