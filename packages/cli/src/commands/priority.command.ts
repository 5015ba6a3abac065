import { formatQueuePlace, type JobPriority } from '@kiln/client';
import { writeJson, type CommandContext } from '../cli-context.js';

/**
 * `kiln priority <id> <high|normal|low>`: changes a queued job's priority (its order among the
 * customer's own waiting jobs); the API answers 409 once a worker has the job.
 */
export async function priorityCommand(ctx: CommandContext, id: string, priority: JobPriority): Promise<number> {
  const job = await ctx.api.setPriority(id, priority);
  if (ctx.json) writeJson(ctx, job);
  else {
    const place = job.status === 'queued' && job.queue !== undefined ? ` (${formatQueuePlace(job.queue)})` : '';
    ctx.io.stdout.write(`Job ${job.id} priority ${job.priority}${place}\n`);
  }
  return 0;
}
