import { formatQueuePlace, type Job, type JobStatus } from '@kiln/client';
import { writeJson, type CommandContext } from '../cli-context.js';
import { formatBytes, formatPercent, formatTimestamp } from '../progress-format.js';
import { renderTable } from '../table.js';

export interface JobsOptions {
  status?: JobStatus;
  limit?: number;
  cursor?: string;
}

/** `kiln jobs`: one page of the customer's jobs, newest first, as a table or the API's JSON. */
export async function jobsCommand(ctx: CommandContext, opts: JobsOptions): Promise<number> {
  const page = await ctx.api.listJobs({
    ...(opts.status !== undefined ? { status: opts.status } : {}),
    ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
    ...(opts.cursor !== undefined ? { cursor: opts.cursor } : {}),
  });
  if (ctx.json) {
    writeJson(ctx, page);
    return 0;
  }
  if (page.data.length === 0) {
    ctx.io.stdout.write('No jobs.\n');
    return 0;
  }
  ctx.io.stdout.write(jobsTable(page.data));
  if (page.nextCursor !== null) ctx.io.stderr.write(`More: kiln jobs --cursor ${page.nextCursor}\n`);
  return 0;
}

/**
 * The `kiln jobs` table: id, status, progress, created, and each output with its size once done;
 * when the page has queued jobs with a place in line, an `IN LINE` column (`3rd in line · ~2 min`).
 */
export function jobsTable(jobs: readonly Job[]): string {
  const inLine = jobs.some((job) => job.status === 'queued' && job.queue !== undefined);
  const rows = jobs.map((job) => [
    job.id,
    job.status,
    job.status === 'completed' ? '100%' : formatPercent(job.progress.percent),
    formatTimestamp(job.createdAt),
    job.outputs.map((o) => (o.status === 'completed' ? `${o.name} (${formatBytes(o.sizeBytes)})` : o.name)).join(', '),
    ...(inLine ? [job.status === 'queued' && job.queue !== undefined ? formatQueuePlace(job.queue) : ''] : []),
  ]);
  return renderTable(['ID', 'STATUS', 'PROGRESS', 'CREATED', 'OUTPUTS', ...(inLine ? ['IN LINE'] : [])], rows);
}
