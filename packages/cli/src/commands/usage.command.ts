import type { UsageAgainstLimit } from '@kiln/client';
import { writeJson, type CommandContext } from '../cli-context.js';
import { formatBytes } from '../progress-format.js';
import { renderTable } from '../table.js';

/** `kiln usage`: the customer's running and waiting jobs and stored bytes against its limits. */
export async function usageCommand(ctx: CommandContext): Promise<number> {
  const usage = await ctx.api.usage();
  if (ctx.json) {
    writeJson(ctx, usage);
    return 0;
  }
  const row = (what: string, u: UsageAgainstLimit, format: (n: number) => string = String) => [
    what,
    format(u.used),
    u.limit === null ? 'none' : format(u.limit),
  ];
  ctx.io.stdout.write(
    renderTable(
      ['USAGE', 'USED', 'LIMIT'],
      [
        row('running jobs', usage.running),
        row('queued jobs', usage.queued),
        row('stored bytes', usage.storedBytes, (n) => `${formatBytes(n)} (${n})`),
      ],
    ),
  );
  return 0;
}
