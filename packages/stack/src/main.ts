#!/usr/bin/env node
import path from 'node:path';
import { startStack, StackStartError } from './stack.js';

/** `npm start`: the whole stack on embedded defaults, one clean stop on Ctrl-C or SIGTERM. */
const out = (line: string) => process.stdout.write(`${line}\n`);
out('kiln: starting the stack…');
let stack;
try {
  stack = await startStack(process.env, { log: (l) => out(`kiln: ${l}`) });
} catch (err) {
  process.stderr.write(`kiln: cannot start: ${err instanceof StackStartError ? err.message : (err as Error).stack}\n`);
  process.exit(1);
}
const running = stack;
const example = path.join(running.inputRoot, 'my-video.mp4');
const key = running.apiKey ?? '<one of the keys in KILN_API_KEYS>';
out('');
out('  ┌─ Kiln');
out(`  │ API        ${running.apiUrl}`);
out(`  │ Dashboard  ${running.dashboardUrl}`);
out(`  │ Webhooks   ${running.webhooksUrl}/pusher/webhooks`);
out(`  │ Pusher     ${running.pusher}`);
out(`  │ Redis      ${running.redisUrl}`);
out(`  │ Inputs     ${running.inputRoot}  (file:// inputs must be under here)`);
out('  └─');
if (running.apiKey) out(`Demo API key: ${running.apiKey}`);
out('');
out('Create a job (put a video at the path first):');
out(`  curl -s -X POST ${running.apiUrl}/v1/jobs -H 'Authorization: Bearer ${key}' -H 'content-type: application/json' \\`);
out(`    -d '{"input": "file://${example}", "outputs": [{"preset": "mp4-720p"}]}'`);
out('');
out('Kiln is up. Press Ctrl-C to stop.');

let exiting = false;
const shutdown = async (reason: string, code: number) => {
  if (exiting) return;
  exiting = true;
  out(`kiln: ${reason}; stopping every part…`);
  const hard = setTimeout(() => process.exit(1), 60_000);
  hard.unref();
  await running.stop();
  out('kiln: stopped.');
  process.exit(code);
};
process.on('SIGINT', () => void shutdown('SIGINT', 0));
process.on('SIGTERM', () => void shutdown('SIGTERM', 0));
void running.died.then((why) => shutdown(`${why}`, 1));
