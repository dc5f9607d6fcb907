// A YAML subset reader for MLmodel files: block maps and lists, plain and quoted scalars,
// long scalars folded over indented lines (as PyYAML writes them). No anchors or tags.

const NULLS = new Set(["", "~", "null", "Null", "NULL"]);
const KEY_LINE = /^((?:'[^']*'|"[^"]*"|[^'"#:][^:#]*?)):(?:\s+(.*))?$/;

const indentOf = (line) => line.length - line.trimStart().length;
const isBlank = (line) => !line.trim() || line.trimStart().startsWith("#");

function unquote(text) {
  if (text.startsWith("'")) return text.slice(1, text.endsWith("'") && text.length > 1 ? -1 : undefined).replace(/''/g, "'");
  try {
    return JSON.parse(text);
  } catch {
    return text.slice(1, -1);
  }
}

function scalar(raw) {
  const text = raw.trim();
  if (text.startsWith("'") || text.startsWith('"')) return unquote(text);
  const plain = text.replace(/\s+#.*$/, "");
  if (NULLS.has(plain)) return null;
  if (/^(true|True|TRUE)$/.test(plain)) return true;
  if (/^(false|False|FALSE)$/.test(plain)) return false;
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(plain)) return Number(plain);
  if (/^[[{]/.test(plain)) {
    try {
      return JSON.parse(plain);
    } catch {
      return plain;
    }
  }
  return plain;
}

class Reader {
  constructor(text) {
    this.lines = String(text).replace(/\r\n?/g, "\n").split("\n");
    this.index = 0;
  }

  skipBlank() {
    while (this.index < this.lines.length && isBlank(this.lines[this.index])) this.index += 1;
  }

  peek() {
    this.skipBlank();
    return this.index < this.lines.length ? this.lines[this.index] : null;
  }

  /** The value text after `key:` plus any deeper-indented continuation lines. */
  folded(first, indent) {
    const parts = [first];
    while (this.index < this.lines.length) {
      const line = this.lines[this.index];
      if (line.trim() && indentOf(line) <= indent) break;
      parts.push(line.trim());
      this.index += 1;
    }
    return parts.filter((part, position) => position === 0 || part).join(" ");
  }

  block(indent) {
    const line = this.peek();
    if (line === null || indentOf(line) < indent) return null;
    return /^\s*-(\s|$)/.test(line) ? this.list(indentOf(line)) : this.map(indentOf(line));
  }

  child(indent) {
    const next = this.peek();
    if (next === null) return null;
    const deeper = indentOf(next) > indent;
    const sameLevelList = indentOf(next) === indent && /^\s*-(\s|$)/.test(next);
    return deeper || sameLevelList ? this.block(indentOf(next)) : null;
  }

  map(indent) {
    const result = {};
    for (let line = this.peek(); line !== null && indentOf(line) === indent; line = this.peek()) {
      const match = KEY_LINE.exec(line.trim());
      if (!match || /^\s*-(\s|$)/.test(line)) break;
      this.index += 1;
      const key = String(scalar(match[1]));
      result[key] = match[2] === undefined || !match[2].trim() ? this.child(indent) : scalar(this.folded(match[2], indent));
    }
    return result;
  }

  list(indent) {
    const result = [];
    for (let line = this.peek(); line !== null && indentOf(line) === indent && /^\s*-(\s|$)/.test(line); line = this.peek()) {
      const rest = line.trim().slice(1);
      if (!rest.trim()) {
        this.index += 1;
        result.push(this.child(indent));
      } else if (KEY_LINE.test(rest.trim()) && !/^\s*['"]/.test(rest)) {
        // "- key: value" starts a map whose keys sit two columns right of the dash.
        this.lines[this.index] = " ".repeat(indent + 1) + rest;
        result.push(this.map(indent + 1 + (rest.length - rest.trimStart().length)));
      } else {
        this.index += 1;
        result.push(scalar(this.folded(rest, indent)));
      }
    }
    return result;
  }
}

/** Parse the YAML subset in `text`; unknown constructs come back as strings. */
export function parseYaml(text) {
  return new Reader(text).block(0);
}
