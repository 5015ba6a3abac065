import { writeJson, type CommandContext } from '../cli-context.js';
import { watchJob } from './watch.command.js';

/** `kiln retry <id>`: requeues a failed or cancelled job; with `--watch`, follows the new run. */
export async function retryCommand(ctx: CommandContext, id: string, opts: { watch?: boolean }): Promise<number> {
  if (opts.watch === true)
    return watchJob(
      ctx,
      () => ctx.api.retryJob(id),
      (job) => `Job ${job.id} ${job.status} (retry)`,
    );
  const job = await ctx.api.retryJob(id);
  if (ctx.json) writeJson(ctx, job);
  else ctx.io.stdout.write(`Job ${job.id} ${job.status}\n`);
  return 0;
}
