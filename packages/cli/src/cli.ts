import { Argument, Command, CommanderError } from 'commander';
import { ApiClient, JOB_PRIORITIES, type JobPriority } from '@kiln/client';
import { nodeUpload } from './node-upload.transport.js';
import type { JobStatus } from '@kiln/client';
import type { CliIo, CommandContext } from './cli-context.js';
import { cancelCommand } from './commands/cancel.command.js';
import { deleteCommand } from './commands/delete.command.js';
import { jobsCommand } from './commands/jobs.command.js';
import { presetsCommand } from './commands/presets.command.js';
import { priorityCommand } from './commands/priority.command.js';
import { retryCommand } from './commands/retry.command.js';
import { submitCommand } from './commands/submit.command.js';
import { usageCommand } from './commands/usage.command.js';
import { watchCommand } from './commands/watch.command.js';
import {
  deliveriesCommand,
  replayCommand,
  webhooksAddCommand,
  webhooksListCommand,
  webhooksRemoveCommand,
  webhooksRotateCommand,
} from './commands/webhooks.command.js';
import { renderError } from './error-render.js';
import { collect, DEFAULT_API_URL, parseLimit, parseStatus, resolveGlobalOptions } from './global-options.js';

/** Exit code for a command line commander or we refused (unknown option, missing key...). */
const USAGE = 2;

/**
 * Runs the `kiln` command line in-process and resolves with the exit code (0 ok, 1 failure,
 * 2 usage error). Nothing here reads `process`: `main.ts` passes the real streams and environment.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    // Commander has already printed its own message (or the help) to stderr/stdout.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : USAGE;
    const rendered = renderError(err);
    if (program.opts<{ json?: boolean }>().json === true)
      io.stdout.write(`${JSON.stringify(rendered.json, null, 2)}\n`);
    io.stderr.write(rendered.text);
    return rendered.exitCode;
  }
}

/** Wraps a command's function into a commander action that runs it with the resolved context. */
type Runner = <A extends unknown[]>(
  fn: (ctx: CommandContext, ...args: A) => Promise<number>,
) => (...args: [...A, Command]) => Promise<void>;

/** The commands that act on one existing job: cancel, delete, retry, priority. */
function addJobActions(program: Command, run: Runner): void {
  program
    .command('cancel')
    .description('cancel a queued or running job')
    .argument('<id>', 'job id')
    .action(run((ctx, id: string) => cancelCommand(ctx, id)));

  program
    .command('delete')
    .description('delete a finished job and its outputs')
    .argument('<id>', 'job id')
    .action(run((ctx, id: string) => deleteCommand(ctx, id)));

  program
    .command('retry')
    .description('requeue a failed or cancelled job')
    .argument('<id>', 'job id')
    .option('--watch', 'follow the new run until it ends')
    .action(run((ctx, id: string, opts: { watch?: boolean }) => retryCommand(ctx, id, opts)));

  program
    .command('priority')
    .description("change a queued job's priority among your own waiting jobs")
    .argument('<id>', 'job id')
    .addArgument(new Argument('<priority>', 'the new priority').choices(JOB_PRIORITIES))
    .action(run((ctx, id: string, priority: JobPriority) => priorityCommand(ctx, id, priority)));
}

/** `kiln webhooks add|list|rm|rotate`, `kiln deliveries <jobId>` and `kiln replay <deliveryId>`. */
function addWebhookCommands(program: Command, run: Runner): void {
  const webhooks = program.command('webhooks').description('manage webhook endpoints (signed job events to your URL)');
  webhooks
    .command('add')
    .description('add an endpoint and print its signing secret (shown only once)')
    .argument('<url>', 'http(s):// URL the events are POSTed to')
    .option('--event <type>', 'an event to send (repeat; default all four)', collect, [] as string[])
    .option('--description <text>', 'a note for yourself')
    .action(
      run((ctx, url: string, opts: { event: string[]; description?: string }) => webhooksAddCommand(ctx, url, opts)),
    );
  webhooks
    .command('list')
    .description('list endpoints')
    .action(run((ctx) => webhooksListCommand(ctx)));
  webhooks
    .command('rm')
    .description('delete an endpoint')
    .argument('<id>', 'endpoint id')
    .action(run((ctx, id: string) => webhooksRemoveCommand(ctx, id)));
  webhooks
    .command('rotate')
    .description("rotate an endpoint's signing secret (the old one signs too for a while)")
    .argument('<id>', 'endpoint id')
    .action(run((ctx, id: string) => webhooksRotateCommand(ctx, id)));
  program
    .command('deliveries')
    .description("list a job's webhook deliveries and their attempts")
    .argument('<jobId>', 'job id')
    .action(run((ctx, id: string) => deliveriesCommand(ctx, id)));
  program
    .command('replay')
    .description('send a webhook delivery again (same webhook-id)')
    .argument('<deliveryId>', 'delivery id')
    .action(run((ctx, id: string) => replayCommand(ctx, id)));
}

/** The commander program: global options, subcommands, and output routed through `io`. */
export function buildProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const program = new Command('kiln')
    .description('Submit and watch video encoding jobs on a Kiln farm.')
    .option('--api-url <url>', `API base URL (env KILN_API_URL, default ${DEFAULT_API_URL})`)
    .option('--key <key>', 'API key (env KILN_API_KEY)')
    .option('--json', 'machine output: one JSON document on stdout, no progress display')
    .exitOverride()
    .showHelpAfterError('(see kiln --help)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  const context = (cmd: Command): CommandContext => {
    const g = resolveGlobalOptions(cmd.optsWithGlobals(), io.env);
    return {
      io,
      json: g.json,
      api: new ApiClient({
        baseUrl: g.apiUrl,
        apiKey: g.key,
        upload: nodeUpload,
        ...(io.fetch ? { fetch: io.fetch } : {}),
      }),
    };
  };
  const run: Runner =
    <A extends unknown[]>(fn: (ctx: CommandContext, ...args: A) => Promise<number>) =>
    async (...args: [...A, Command]) => {
      const cmd = args[args.length - 1] as Command;
      setExitCode(await fn(context(cmd), ...(args.slice(0, -1) as A)));
    };

  program
    .command('submit')
    .description('create a job from a local file (uploaded first) or an http(s):// or file:// URL')
    .argument('<input>', 'local file path, http(s):// URL, or file:// URL under one of the server input roots')
    .option('--preset <id>', 'output preset; repeat for several outputs (see kiln presets)', collect, [] as string[])
    .option('--name <name>', 'name of the output (with exactly one --preset)')
    .option('--watch', 'follow the job live until it ends; exit 1 if it fails')
    .action(
      run((ctx, input: string, opts: { preset: string[]; name?: string; watch?: boolean }) =>
        submitCommand(ctx, input, opts),
      ),
    );

  program
    .command('jobs')
    .description('list jobs, newest first')
    .option('--status <status>', 'only jobs in this status', parseStatus)
    .option('--limit <n>', 'how many (1-100, default 50)', parseLimit)
    .option('--cursor <cursor>', 'the next page, as printed after a full page')
    .action(run((ctx, opts: { status?: JobStatus; limit?: number; cursor?: string }) => jobsCommand(ctx, opts)));

  program
    .command('watch')
    .description('follow an existing job live until it ends')
    .argument('<id>', 'job id')
    .action(run((ctx, id: string) => watchCommand(ctx, id)));

  addJobActions(program, run);
  addWebhookCommands(program, run);

  program
    .command('presets')
    .description('list output presets')
    .action(run((ctx) => presetsCommand(ctx)));

  program
    .command('usage')
    .description('show running and queued jobs and stored bytes against your limits')
    .action(run((ctx) => usageCommand(ctx)));

  return program;
}
