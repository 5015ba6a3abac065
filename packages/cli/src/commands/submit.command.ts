import path from 'node:path';
import { openAsBlob } from 'node:fs';
import type { Job, OutputRequest } from '@kiln/client';
import { writeJson, type CommandContext } from '../cli-context.js';
import { UsageError } from '../errors.js';
import { resolveSubmitSource } from '../input.js';
import { formatBytes } from '../progress-format.js';
import { watchJob } from './watch.command.js';

export interface SubmitOptions {
  preset: string[];
  name?: string;
  watch?: boolean;
}

/**
 * Builds the outputs of `POST /v1/jobs` from the flags: one per `--preset`; `--name` names the
 * output, so it needs exactly one preset (two outputs cannot share a name).
 */
function outputsFrom(opts: Pick<SubmitOptions, 'preset' | 'name'>): OutputRequest[] {
  if (opts.preset.length === 0)
    throw new UsageError('at least one --preset <id> is required (list them with: kiln presets)');
  if (opts.name !== undefined && opts.preset.length !== 1)
    throw new UsageError('--name names one output: use it with exactly one --preset');
  return opts.preset.map((preset) => (opts.name !== undefined ? { preset, name: opts.name } : { preset }));
}

/**
 * `kiln submit <file|url>`: uploads a local file first (`POST /v1/uploads`), passes URLs through
 * unchanged, creates the job and prints its id; with `--watch`, follows it to the end.
 */
export async function submitCommand(ctx: CommandContext, source: string, opts: SubmitOptions): Promise<number> {
  const outputs = outputsFrom(opts);
  const resolved = await resolveSubmitSource(source, ctx.io.cwd);
  let input: string;
  if (resolved.kind === 'file') {
    if (!ctx.json)
      ctx.io.stderr.write(`Uploading ${path.basename(resolved.path)} (${formatBytes(resolved.sizeBytes)})...\n`);
    const upload = await ctx.api.upload(await openAsBlob(resolved.path));
    if (!ctx.json) ctx.io.stderr.write(`Uploaded as ${upload.input}\n`);
    input = upload.input;
  } else {
    input = resolved.input;
  }
  const create = () => ctx.api.createJob(input, outputs);
  if (opts.watch === true) return watchJob(ctx, create, (job) => `Job ${job.id} ${job.status} (${outputNames(job)})`);
  const job = await create();
  if (ctx.json) writeJson(ctx, job);
  else ctx.io.stdout.write(`${job.id}\n`);
  return 0;
}

function outputNames(job: Job): string {
  return job.outputs.map((o) => (o.name === o.preset ? o.name : `${o.name}: ${o.preset}`)).join(', ');
}
