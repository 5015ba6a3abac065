import { writeJson, type CommandContext } from '../cli-context.js';
import { renderTable } from '../table.js';

/** `kiln presets`: the output presets a job can ask for. */
export async function presetsCommand(ctx: CommandContext): Promise<number> {
  const presets = await ctx.api.presets();
  if (ctx.json) writeJson(ctx, { data: presets });
  else
    ctx.io.stdout.write(
      renderTable(
        ['ID', 'KIND', 'DESCRIPTION'],
        presets.map((p) => [p.id, p.kind ?? '', p.description]),
      ),
    );
  return 0;
}
