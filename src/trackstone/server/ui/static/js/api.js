// Calls to the Trackstone JSON API; errors become ApiError carrying the server's message.

export class ApiError extends Error {
  constructor(message, code, status) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
  }
}

async function decode(response) {
  const text = await response.text();
  let body = {};
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = { message: text };
    }
  }
  if (!response.ok) {
    const message = body.message || `${response.status} ${response.statusText}`;
    throw new ApiError(message, body.error_code || "HTTP_ERROR", response.status);
  }
  return body;
}

/** GET `path` with `params` (arrays become repeated keys); resolve to the decoded JSON. */
export async function apiGet(path, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    for (const item of Array.isArray(value) ? value : [value]) query.append(key, String(item));
  }
  const suffix = query.toString() ? `?${query}` : "";
  return decode(await fetch(path + suffix, { headers: { Accept: "application/json" } }));
}

/**
 * Send `body` as JSON with `method` (POST, PATCH, DELETE: MLflow's registry reads the bodies
 * of all three); resolve to the decoded JSON.
 */
export async function apiSend(method, path, body) {
  return decode(
    await fetch(path, {
      method,
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    }),
  );
}

/** POST `body` as JSON to `path`; resolve to the decoded JSON. */
export const apiPost = (path, body) => apiSend("POST", path, body);

export const AJAX = "/ajax-api/2.0/mlflow";
export const UI_API = "/api/2.0/trackstone/ui";
