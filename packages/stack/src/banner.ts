import path from 'node:path';
import type { RunningStack } from './stack.js';

/** The last line of the banner; scripts and tests wait for it. */
export const READY_LINE = 'Kiln is up.';

/** Quotes a value for a POSIX shell when it needs it. */
function shq(value: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The lines `npm start` prints once everything is healthy: where each part is, the demo API
 * key, and a curl command that works when pasted as is (after dropping a video in the input
 * root). {@link READY_LINE} is always the last line.
 */
export function formatBanner(
  stack: Pick<RunningStack, 'urls' | 'redis' | 'pusher' | 'apiKey' | 'inputRoot' | 'storage' | 'workers'>,
): string[] {
  const redisNote = {
    REDIS_URL: 'from REDIS_URL',
    existing: 'the one already running there',
    spawned: `started redis-server, data in ${stack.redis.dataDir ?? '.kiln/redis'}`,
  }[stack.redis.source];
  const key = stack.apiKey ?? '<a key from KILN_API_KEYS>';
  const video = path.join(stack.inputRoot, 'my-video.mp4');
  const body = JSON.stringify({ input: `file://${video}`, outputs: [{ preset: 'mp4-720p' }, { preset: 'mp4-360p' }] });
  const lines = [
    '',
    '  Kiln',
    `  API        ${stack.urls.api}`,
    `  Dashboard  ${stack.urls.dashboard}`,
    `  Webhooks   ${stack.urls.webhooks}/pusher/webhooks`,
    `  Pusher     ${stack.pusher.description}`,
    `  Redis      ${stack.urls.redis} (${redisNote})`,
    `  Inputs     ${stack.inputRoot} (file:// inputs must be under here)`,
    `  Storage    ${stack.storage}`,
    `  Workers    ${stack.workers}`,
    '',
  ];
  if (!stack.pusher.embedded)
    lines.push(
      `Point your Pusher app's webhooks (channel occupied/vacated) at a public URL of ${stack.urls.webhooks}/pusher/webhooks.`,
      '',
    );
  lines.push(stack.apiKey ? `Demo API key: ${stack.apiKey}` : 'API keys: from KILN_API_KEYS', '');
  lines.push(
    'Try it: put a video at the path below (or make one with the ffmpeg line), then create a job:',
    `  ffmpeg -loglevel error -f lavfi -i testsrc2=size=1280x720:rate=25 -f lavfi -i sine=frequency=440 -t 5 -pix_fmt yuv420p -y ${shq(video)}`,
    `  curl -s -X POST ${stack.urls.api}/v1/jobs -H ${shq(`Authorization: Bearer ${key}`)} -H 'Content-Type: application/json' -d ${shq(body)}`,
    `  Watch it in the dashboard (${stack.urls.dashboard}) or poll: curl -s -H ${shq(`Authorization: Bearer ${key}`)} ${stack.urls.api}/v1/jobs`,
    '',
    'Press Ctrl-C to stop.',
    READY_LINE,
  );
  return lines;
}
