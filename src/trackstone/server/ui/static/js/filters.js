// Writing values into the search language safely (quotes doubled, keys in backticks).

/** A string literal: `'it''s'`. */
export function quoteString(text) {
  return `'${String(text).replaceAll("'", "''")}'`;
}

/** A key in backticks: `` `my.key` ``. */
export function quoteKey(key) {
  return `\`${String(key).replaceAll("`", "``")}\``;
}
