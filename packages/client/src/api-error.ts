/** One field the API refused, as its 4xx bodies name it (`outputs.0.preset`). */
export interface FieldError {
  path: string;
  message: string;
}

/**
 * A failed API call: HTTP status (0 when the API could not be reached), the API's `error.code`
 * and `error.message` (safe to show as text), and for validation errors the fields at fault.
 */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | undefined = undefined,
    readonly fields: FieldError[] = [],
  ) {
    super(message);
  }
}

/** What a non-2xx response of the API says, read defensively (the body may not be the API's JSON). */
export interface ApiErrorBody {
  status: number;
  statusText: string;
  /** `error.code` of the API's JSON body, when there is one. */
  code: string | undefined;
  /** `error.message` of the body; undefined when the body had none (a proxy's HTML page, say). */
  message: string | undefined;
  fields: FieldError[];
}

/**
 * Reads the API's error body (`{error: {code, message, fields}}`) from a non-2xx response without
 * trusting it: a body that is not JSON, or JSON of another shape, gives no message and no fields,
 * and {@link apiErrorFrom} falls back to the status line.
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

/** Builds an {@link ApiError} from a non-2xx response: the body's message, code and fields, else the status line. */
export async function apiErrorFrom(res: Response): Promise<ApiError> {
  const e = await readApiError(res);
  const message =
    e.message ??
    (e.status === 401 ? 'the API key was not accepted' : `the API answered ${e.status} ${e.statusText}`.trim());
  return new ApiError(e.status, message, e.code, e.fields);
}

/** undici hides the useful part (ECONNREFUSED, ENOTFOUND) in `cause`; browsers say little at all. */
export function causeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return err instanceof Error ? err.message : String(err);
}
