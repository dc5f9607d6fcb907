// A safe Markdown subset rendered straight to DOM nodes: text is never parsed as HTML.
//
// Blocks: ATX headings, paragraphs, fenced code, block quotes, flat lists (-, *, +, 1.),
// pipe tables and rules. Inline: `code`, **strong**, *em*, [links](url) and <autolinks>.
// Raw HTML shows as text; images become links; only http(s), mailto and relative links work.
import { el } from "./dom.js";

const SAFE_PROTOCOLS = new Set(["http:", "https:", "mailto:"]);
const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const FENCE = /^\s*(```|~~~)\s*([\w+-]*)\s*$/;
const RULE = /^\s*([-*_])(\s*\1){2,}\s*$/;
const BULLET = /^\s*[-*+]\s+(.*)$/;
const ORDERED = /^\s*(\d{1,9})[.)]\s+(.*)$/;
const QUOTE = /^\s*>\s?(.*)$/;
const TABLE_SEPARATOR = /^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$/;

/** Return the href to use for a link target, or null when its scheme is not allowed. */
export function safeHref(target) {
  const trimmed = target.trim();
  if (!trimmed) return null;
  try {
    const url = new URL(trimmed, location.href);
    if (!SAFE_PROTOCOLS.has(url.protocol)) return null;
  } catch {
    return null;
  }
  return trimmed;
}

/** An anchor for a safe target; a plain span (the text only) for any other. */
function link(text, target) {
  const href = safeHref(target);
  if (href === null) return el("span", {}, text);
  const external = /^[a-z][a-z0-9+.-]*:/i.test(href);
  return el("a", { href, rel: external ? "noopener noreferrer nofollow" : null, target: external ? "_blank" : null }, text);
}

// Inline tokens, tried left to right at each position: the earliest match wins.
const INLINE = [
  { kind: "escape", pattern: /\\([\\`*_[\]()<>#+\-.!|~])/y },
  { kind: "code", pattern: /(`+)([\s\S]+?)\1/y },
  // Targets may hold one level of balanced parentheses: [a](https://x.org/f(1)).
  { kind: "image", pattern: /!\[([^\]]*)\]\(((?:[^()\s]|\([^()\s]*\))*)(?:\s+"[^"]*")?\)/y },
  { kind: "link", pattern: /\[([^\]]+)\]\(((?:[^()\s]|\([^()\s]*\))*)(?:\s+"[^"]*")?\)/y },
  { kind: "autolink", pattern: /<((?:https?:\/\/|mailto:)[^\s<>]+)>/y },
  { kind: "strong", pattern: /(\*\*|__)(?=\S)([\s\S]*?\S)\1/y },
  { kind: "em", pattern: /(\*|_)(?=\S)([\s\S]*?\S)\1/y },
];

/** Append the inline Markdown of `text` to `parent`. */
export function renderInline(text, parent) {
  let plain = "";
  const flush = () => {
    if (plain) parent.append(document.createTextNode(plain));
    plain = "";
  };
  let index = 0;
  while (index < text.length) {
    let matched = null;
    if ("\\`![<*_".includes(text[index])) {
      for (const rule of INLINE) {
        rule.pattern.lastIndex = index;
        const match = rule.pattern.exec(text);
        if (match) {
          matched = { rule, match };
          break;
        }
      }
    }
    if (!matched) {
      plain += text[index];
      index += 1;
      continue;
    }
    flush();
    const { rule, match } = matched;
    if (rule.kind === "escape") parent.append(document.createTextNode(match[1]));
    else if (rule.kind === "code") parent.append(el("code", {}, match[2].trim() || match[2]));
    else if (rule.kind === "image") parent.append(link(match[1] || match[2], match[2]));
    else if (rule.kind === "link") {
      const node = link("", match[2]);
      renderInline(match[1], node);
      parent.append(node);
    } else if (rule.kind === "autolink") parent.append(link(match[1], match[1]));
    else {
      const node = el(rule.kind === "strong" ? "strong" : "em");
      renderInline(match[2], node);
      parent.append(node);
    }
    index += match[0].length;
  }
  flush();
}

function inline(tag, text, attributes = {}) {
  const node = el(tag, attributes);
  renderInline(text, node);
  return node;
}

function splitRow(line) {
  let row = line.trim();
  if (row.startsWith("|")) row = row.slice(1);
  if (row.endsWith("|") && !row.endsWith("\\|")) row = row.slice(0, -1);
  return row.split(/(?<!\\)\|/).map((cell) => cell.trim());
}

function isBlockStart(line, next) {
  return (
    HEADING.test(line) || FENCE.test(line) || RULE.test(line) || BULLET.test(line) ||
    ORDERED.test(line) || QUOTE.test(line) || (line.includes("|") && next !== undefined && TABLE_SEPARATOR.test(next))
  );
}

function takeList(lines, start, pattern, ordered) {
  const items = [];
  let index = start;
  while (index < lines.length) {
    const match = pattern.exec(lines[index]);
    if (match) {
      items.push(ordered ? match[2] : match[1]);
    } else if (/^\s{2,}\S/.test(lines[index]) && items.length) {
      items[items.length - 1] += ` ${lines[index].trim()}`;
    } else break;
    index += 1;
  }
  const first = ordered ? Number(ORDERED.exec(lines[start])[1]) : 1;
  const list = el(ordered ? "ol" : "ul", { start: ordered && first !== 1 ? first : null });
  for (const item of items) list.append(inline("li", item));
  return [list, index];
}

function takeTable(lines, start) {
  const header = splitRow(lines[start]);
  const table = el("table", {}, el("thead", {}, el("tr", {}, header.map((cell) => inline("th", cell)))));
  const body = el("tbody");
  let index = start + 2;
  while (index < lines.length && lines[index].includes("|") && lines[index].trim()) {
    const cells = splitRow(lines[index]);
    body.append(el("tr", {}, header.map((_, column) => inline("td", cells[column] ?? ""))));
    index += 1;
  }
  table.append(body);
  return [el("div", { className: "md-table" }, table), index];
}

/** Render Markdown `source` into a DocumentFragment of safe nodes. */
export function renderMarkdown(source, depth = 0) {
  const fragment = document.createDocumentFragment();
  const lines = String(source).replace(/\r\n?/g, "\n").split("\n");
  let index = 0;
  while (index < lines.length) {
    const line = lines[index];
    if (!line.trim()) {
      index += 1;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const body = [];
      index += 1;
      while (index < lines.length && !lines[index].trim().startsWith(fence[1])) body.push(lines[index++]);
      index += 1;
      fragment.append(el("pre", {}, el("code", { "data-language": fence[2] || null }, body.join("\n"))));
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      fragment.append(inline(`h${heading[1].length}`, heading[2]));
      index += 1;
    } else if (RULE.test(line)) {
      fragment.append(el("hr"));
      index += 1;
    } else if (QUOTE.test(line)) {
      const quoted = [];
      while (index < lines.length && QUOTE.test(lines[index])) quoted.push(QUOTE.exec(lines[index++])[1]);
      const quote = el("blockquote");
      quote.append(depth < 8 ? renderMarkdown(quoted.join("\n"), depth + 1) : quoted.join("\n"));
      fragment.append(quote);
    } else if (BULLET.test(line) || ORDERED.test(line)) {
      const ordered = !BULLET.test(line);
      const [list, next] = takeList(lines, index, ordered ? ORDERED : BULLET, ordered);
      fragment.append(list);
      index = next;
    } else if (line.includes("|") && index + 1 < lines.length && TABLE_SEPARATOR.test(lines[index + 1])) {
      const [table, next] = takeTable(lines, index);
      fragment.append(table);
      index = next;
    } else {
      const paragraph = [line.trim()];
      index += 1;
      while (index < lines.length && lines[index].trim() && !isBlockStart(lines[index], lines[index + 1])) {
        paragraph.push(lines[index++].trim());
      }
      fragment.append(inline("p", paragraph.join("\n")));
    }
  }
  return fragment;
}
