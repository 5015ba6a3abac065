#!/usr/bin/env node
// `npm start`: the whole stack on embedded defaults (ARCHITECTURE §2), one clean stop on Ctrl-C
// or SIGTERM, and a stop with exit 1 when any part dies on its own.
import { formatBanner } from './banner.js';
import { StackStartError } from './stack.errors.js';
import { startStack, type RunningStack } from './stack.js';

const out = (line: string) => process.stdout.write(`${line}\n`);
const say = (line: string) => out(`kiln: ${line}`);

const starting = new AbortController();
let running: RunningStack | undefined;
let exiting: Promise<void> | undefined;
let signals = 0;

/** The one shutdown path: idempotent, stops every part in order, then exits with `code`. */
function shutdown(reason: string, code: number): Promise<void> {
  exiting ??= (async () => {
    say(`${reason}; stopping every part…`);
    const hard = setTimeout(() => {
      say('parts did not stop within 60 s; killing them');
      running?.kill();
      process.exit(1);
    }, 60_000);
    hard.unref();
    await running?.stop();
    say('stopped.');
    process.exit(code);
  })();
  return exiting;
}

const onSignal = (signal: NodeJS.Signals) => {
  signals += 1;
  if (!running) {
    // Still starting: abort, and let the failed start below stop what was started.
    starting.abort();
    return;
  }
  if (signals >= 3) {
    say(`${signal} again: killing every part now`);
    running.kill();
    process.exit(1);
  }
  if (signals === 2) say('still stopping (workers hand their jobs back); press Ctrl-C once more to kill everything');
  void shutdown(signal, 0);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

say('starting the stack…');
try {
  running = await startStack(process.env, { log: say, signal: starting.signal });
} catch (err) {
  if (starting.signal.aborted) {
    say('start interrupted; stopped.');
    process.exit(0);
  }
  process.stderr.write(
    `kiln: cannot start: ${err instanceof StackStartError ? err.message : ((err as Error).stack ?? String(err))}\n`,
  );
  process.exit(1);
}
const stack = running;
for (const line of formatBanner(stack)) out(line);

void stack.died.then((why) => {
  // A Ctrl-C reaches the children too (same process group); give our own signal handler the
  // chance to claim the shutdown so an ordinary stop is not reported as a crash.
  setTimeout(() => {
    if (exiting) return;
    say(why);
    void shutdown('a part died', 1);
  }, 250);
});
