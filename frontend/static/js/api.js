// The REST client: every request goes through api(); errors become ApiError with a readable message
// and, for 422 validation errors, a map from field path ("axes.rows") to the API's message.

export class ApiError extends Error {
  constructor(status, message, fieldErrors = {}) {
    super(message);
    this.status = status;
    this.fieldErrors = fieldErrors;
  }
}

/** The API's errors: `detail` is one readable line; a 422 adds `errors`, a list of {loc: "axes.rows", msg}. */
function describe(data, fallback) {
  const fields = {};
  for (const { loc, msg } of data?.errors ?? []) {
    const key = loc || '_';
    fields[key] = fields[key] ? `${fields[key]}; ${msg}` : msg;
  }
  return { message: typeof data?.detail === 'string' ? data.detail : fallback, fields };
}

export async function api(path, { method = 'GET', body, signal, raw = false } = {}) {
  const init = { method, signal, headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, 'The service is not reachable. Is `dse serve` (make run) still running?');
  }
  if (raw && response.ok) return response;
  let text;
  try {
    text = await response.text();
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, `The answer to ${method} ${path.split('?')[0]} was cut off (${error.message}); reload to try again.`);
  }
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!response.ok) {
    if (response.status === 401) {
      throw new ApiError(401, 'Sign in with an API token (top right); an admin creates one with `dse token create NAME`.');
    }
    if (response.status === 404 && (!data || data.detail === 'Not Found')) {
      throw new ApiError(404, `${method} ${path.split('?')[0]} is not available on this server (404).`);
    }
    const { message, fields } = describe(data, `${response.status} ${response.statusText}`);
    throw new ApiError(response.status, message, fields);
  }
  return data;
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    search.set(key, Array.isArray(value) ? value.join(',') : String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
