import { writeJson, type CommandContext } from '../cli-context.js';

/** `kiln delete <id>`: deletes a finished job with its outputs; the API answers 409 for a running one. */
export async function deleteCommand(ctx: CommandContext, id: string): Promise<number> {
  await ctx.api.deleteJob(id);
  if (ctx.json) writeJson(ctx, { id, deleted: true });
  else ctx.io.stdout.write(`Job ${id} deleted\n`);
  return 0;
}
