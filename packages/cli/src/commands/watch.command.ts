import type { Job } from '@kiln/client';
import { KilnError } from '@kiln/errors';
import { writeJson, type CommandContext } from '../cli-context.js';
import { PlainProgressLines, SilentProgress, TerminalProgressBar, type ProgressReporter } from '../progress-bar.js';
import { formatBytes, formatDuration, formatOutputShape, jobElapsedSeconds } from '../progress-format.js';
import { connectRealtime, type RealtimeConnection } from '@kiln/client';
import { renderTable } from '../table.js';
import { JobWatcher } from '../watch.js';

/** How long to wait for the channel subscription before starting the job anyway (and polling). */
const SUBSCRIBE_TIMEOUT_MS = 5000;
/** Exit code after Ctrl-C, as shells report a SIGINT death (128 + 2). */
const INTERRUPTED = 130;

/** Ctrl-C while watching: the watch stops and the command exits 130. */
class Interrupted extends KilnError {
  readonly code = 'interrupted';

  constructor() {
    super('interrupted (Ctrl-C)');
  }
}

/**
 * Watches a job live until it ends and returns the exit code: 0 when it completed, 1 when it
 * failed or was cancelled. The channel is subscribed *before* `start` creates (or requeues) the
 * job: subscribing opens the presence gate, so the workers publish this job's events from its
 * first change; whatever happens before the gate opens is caught by the re-read on `sync`.
 */
export async function watchJob(
  ctx: CommandContext,
  start: () => Promise<Job>,
  announce: (job: Job) => string | undefined,
): Promise<number> {
  const reporter = reporterFor(ctx);
  const watcher = new JobWatcher({
    getJob: (id) => ctx.api.getJob(id),
    onChange: (job) => reporter.update(job),
    onPlace: (place) => reporter.showPlace(place),
  });
  let connection: RealtimeConnection | undefined;
  let removeInterrupt: (() => void) | undefined;
  let jobId: string | undefined;
  try {
    const me = await ctx.api.me();
    connection = (ctx.io.connectRealtime ?? connectRealtime)(
      me,
      (socketId, channel) => ctx.api.authorizeChannel(socketId, channel),
      watcher,
    );
    const state = await watcher.waitForRealtime(SUBSCRIBE_TIMEOUT_MS);
    if (state !== 'live') {
      const reason = watcher.realtime.reason || 'no subscription yet';
      ctx.io.stderr.write(`warning: live updates unavailable (${reason}); reading the job from the API instead\n`);
    }
    const interrupted = new Promise<never>((_resolve, reject) => {
      removeInterrupt = ctx.io.onInterrupt?.(() => reject(new Interrupted()));
    });
    interrupted.catch(() => undefined);
    const job = await Promise.race([start(), interrupted]);
    jobId = job.id;
    const line = ctx.json ? undefined : announce(job);
    if (line !== undefined) ctx.io.stdout.write(`${line}\n`);
    const final = await Promise.race([watcher.follow(job.id, job), interrupted]);
    reporter.stop();
    return report(ctx, final, watcher.eventTotal(final.id));
  } catch (err) {
    reporter.stop();
    if (!(err instanceof Interrupted)) throw err;
    const hint = jobId !== undefined ? `; job ${jobId} keeps running (stop it with: kiln cancel ${jobId})` : '';
    ctx.io.stderr.write(`\nstopped watching${hint}\n`);
    return INTERRUPTED;
  } finally {
    removeInterrupt?.();
    watcher.stop();
    connection?.close();
  }
}

/** The progress display that suits the output: a bar on a terminal, lines on a pipe, none for JSON. */
function reporterFor(ctx: CommandContext): ProgressReporter {
  if (ctx.json) return new SilentProgress();
  if (ctx.io.stdout.isTTY === true) return new TerminalProgressBar(ctx.io.stdout);
  return new PlainProgressLines(ctx.io.stdout, ctx.io.now);
}

/** Prints how a watched job ended and returns the exit code. */
function report(ctx: CommandContext, job: Job, liveEvents: number): number {
  const ok = job.status === 'completed';
  if (ctx.json) writeJson(ctx, job);
  if (!ok) {
    const reason = job.error?.message;
    const what = job.status === 'cancelled' ? 'was cancelled' : job.status;
    ctx.io.stderr.write(`Job ${job.id} ${what}${reason !== undefined ? `: ${reason}` : ''}\n`);
    return 1;
  }
  if (ctx.json) return 0;
  const elapsed = jobElapsedSeconds(job);
  const took = elapsed !== null ? ` in ${formatDuration(elapsed)}` : '';
  const live =
    liveEvents > 0 ? `${liveEvents} live event${liveEvents === 1 ? '' : 's'}` : 'no live events; read from the API';
  ctx.io.stdout.write(`Job ${job.id} completed${took} (${live})\n`);
  const rows = job.outputs.map((o) => [
    o.name,
    o.status,
    formatBytes(o.sizeBytes),
    formatOutputShape(o),
    o.downloadPath !== null ? ctx.api.url(o.downloadPath) : '-',
  ]);
  const table = renderTable(['OUTPUT', 'STATUS', 'SIZE', 'VIDEO', 'DOWNLOAD'], rows);
  ctx.io.stdout.write(
    `${table
      .trimEnd()
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n')}\n`,
  );
  return 0;
}

/** `kiln watch <id>`: follows an existing job (again) until it ends. */
export async function watchCommand(ctx: CommandContext, id: string): Promise<number> {
  return watchJob(
    ctx,
    () => ctx.api.getJob(id),
    (job) => `Job ${job.id} ${job.status}`,
  );
}
