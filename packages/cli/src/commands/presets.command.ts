import { writeJson, type CommandContext } from '../cli-context.js';
import { renderTable } from '../table.js';

/** `kiln presets`: the output presets a job can ask for, each with the worker pool that encodes it. */
export async function presetsCommand(ctx: CommandContext): Promise<number> {
  const presets = await ctx.api.presets();
  if (ctx.json) writeJson(ctx, { data: presets });
  else
    ctx.io.stdout.write(
      renderTable(
        ['ID', 'KIND', 'POOL', 'DESCRIPTION'],
        presets.map((p) => [p.id, p.kind ?? '', p.pool ?? '', p.description]),
      ),
    );
  return 0;
}
