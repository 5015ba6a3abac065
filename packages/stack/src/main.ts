#!/usr/bin/env node
// `npm start`: the whole stack on embedded defaults (ARCHITECTURE §2), one clean stop on Ctrl-C
// or SIGTERM, and a stop with exit 1 when any part dies on its own.
import { installShutdown } from '@kiln/app-kit';
import { formatBanner } from './banner.js';
import { StackStartError } from './stack.errors.js';
import { startStack, type RunningStack } from './stack.js';

const out = (line: string) => process.stdout.write(`${line}\n`);
const say = (line: string) => out(`kiln: ${line}`);

const starting = new AbortController();
/** The stack once it is up (signals during the start find it unset). */
const stack: { running?: RunningStack | undefined } = {};

say('starting the stack…');
const started = startStack(process.env, { log: say, signal: starting.signal }).catch((err: unknown) => {
  if (starting.signal.aborted) return undefined; // the shutdown below reports it
  process.stderr.write(
    `kiln: cannot start: ${err instanceof StackStartError ? err.message : ((err as Error).stack ?? String(err))}\n`,
  );
  process.exit(1);
});

// The one shutdown every app has: idempotent, stops every part in order (a signal while
// starting aborts the start, which stops what was started), then exits.
const shutdown = installShutdown(
  async () => {
    starting.abort();
    await (await started)?.stop();
  },
  {
    hardExitMs: 60_000,
    onStart: (reason) => say(stack.running ? `${reason}; stopping every part…` : `${reason}: start interrupted`),
    onDone: () => say('stopped.'),
    onHardExit: () => {
      say('parts did not stop within 60 s; killing them');
      stack.running?.kill();
    },
    onRepeat: (signal, count) => {
      if (count === 2) say('still stopping (workers hand their jobs back); press Ctrl-C once more to kill everything');
      if (count < 3) return;
      say(`${signal} again: killing every part now`);
      stack.running?.kill();
      process.exit(1);
    },
  },
);

stack.running = await started;
if (stack.running && !shutdown.requested) {
  for (const line of formatBanner(stack.running)) out(line);
  void stack.running.died.then((why) => {
    // A Ctrl-C reaches the children too (same process group); give our own signal handler the
    // chance to claim the shutdown so an ordinary stop is not reported as a crash.
    setTimeout(() => {
      if (shutdown.requested) return;
      say(why);
      void shutdown.run('a part died', 1);
    }, 250);
  });
}
