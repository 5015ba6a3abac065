import { ApiError, type FieldError } from '@kiln/client';
import { UsageError } from './errors.js';

/** How a failure is shown: the exit code, text for stderr, and the `--json` document for stdout. */
export interface RenderedError {
  exitCode: number;
  text: string;
  json: { error: { status?: number; code?: string; message: string; fields?: FieldError[] } };
}

/**
 * Turns any failure into what the user sees. API errors show the server's `error.message` and the
 * field paths at fault (those the message does not already name) and exit 1; usage errors exit 2.
 */
export function renderError(err: unknown): RenderedError {
  if (err instanceof UsageError) {
    return {
      exitCode: 2,
      text: `error: ${err.message}\n(see kiln --help)\n`,
      json: { error: { code: 'usage', message: err.message } },
    };
  }
  if (err instanceof ApiError) {
    const where = err.status === 0 ? '' : ` (HTTP ${err.status}${err.code !== undefined ? ` ${err.code}` : ''})`;
    const lines = [`error: ${err.message}${where}`];
    for (const f of err.fields) {
      const line = f.message.length > 0 ? `${f.path}: ${f.message}` : f.path;
      if (!err.message.includes(line)) lines.push(`  ${line}`);
    }
    const json: RenderedError['json'] = {
      error: {
        ...(err.status !== 0 ? { status: err.status } : {}),
        ...(err.code !== undefined ? { code: err.code } : {}),
        message: err.message,
        ...(err.fields.length > 0 ? { fields: err.fields } : {}),
      },
    };
    return { exitCode: 1, text: `${lines.join('\n')}\n`, json };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { exitCode: 1, text: `error: ${message}\n`, json: { error: { message } } };
}
