/** One field the API refused, as its 4xx bodies name it (`path` joined with dots). */
export interface ApiFieldError {
  path: string;
  message: string;
}

/** What a non-2xx response of the API says, read defensively (the body may not be the API's JSON). */
export interface ApiErrorBody {
  status: number;
  statusText: string;
  /** `error.code` of the API's JSON body, when there is one. */
  code: string | undefined;
  /** `error.message` of the body; undefined when the body had none (a proxy's HTML page, say). */
  message: string | undefined;
  fields: ApiFieldError[];
}

/**
 * Reads the API's error body (`{error: {code, message, fields}}`) from a non-2xx response without
 * trusting it: a body that is not JSON, or JSON of another shape, gives no message and no fields,
 * and callers fall back to the status in their own words. Shared by the dashboard and the CLI.
 */
export async function readApiError(res: Response): Promise<ApiErrorBody> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // Not JSON: the caller falls back to the status line.
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; fields?: unknown } } | null)?.error;
  const fields = Array.isArray(error?.fields)
    ? error.fields
        .filter((f): f is { path?: unknown; message?: unknown } => typeof f === 'object' && f !== null)
        .map((f) => ({
          path: Array.isArray(f.path) ? f.path.join('.') : String(f.path ?? ''),
          message: String(f.message ?? ''),
        }))
    : [];
  return {
    status: res.status,
    statusText: res.statusText,
    code: typeof error?.code === 'string' ? error.code : undefined,
    message: typeof error?.message === 'string' && error.message.length > 0 ? error.message : undefined,
    fields,
  };
}
