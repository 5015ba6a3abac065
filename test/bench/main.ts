import { runApiBench } from './api.bench.js';
import { runChunkedBench } from './chunked.bench.js';
import { runEncodingBench } from './encoding.bench.js';
import { runJobIndexBench } from './job-index.bench.js';
import { runRealtimeBench } from './realtime.bench.js';
import { runSchedulingBench } from './scheduling.bench.js';
import { RESULTS_FILE } from './results.js';

/** `npm run bench`: every benchmark section in one run; figures go to test/bench/results/latest.json. */
const sections: Record<string, () => Promise<unknown>> = {
  realtime: runRealtimeBench,
  encoding: runEncodingBench,
  api: runApiBench,
  jobs: runJobIndexBench,
  scheduling: runSchedulingBench,
  chunked: runChunkedBench,
};
const only = process.argv.slice(2);
for (const [name, run] of Object.entries(sections)) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stdout.write(`\n== bench: ${name} ==\n`);
  await run();
}
process.stdout.write(`\nresults written to ${RESULTS_FILE}\n`);
process.exit(0);
