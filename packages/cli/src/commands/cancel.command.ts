import { writeJson, type CommandContext } from '../cli-context.js';

/** `kiln cancel <id>`: cancels a queued or running job; the API answers 409 for a finished one. */
export async function cancelCommand(ctx: CommandContext, id: string): Promise<number> {
  const job = await ctx.api.cancelJob(id);
  if (ctx.json) writeJson(ctx, job);
  else ctx.io.stdout.write(`Job ${job.id} ${job.status}\n`);
  return 0;
}
