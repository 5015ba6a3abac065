import type { Job } from '@kiln/jobs';
import { connectCustomerClient } from './pusher-client.js';

/**
 * A watcher that follows the realtime protocol like the dashboard: merge every `job.*` event
 * and every `GET /v1/jobs` snapshot (read on subscribe and on `sync`) by seq.
 */
export async function connectViewClient(apiUrl: string, key: string) {
  const client = await connectCustomerClient(apiUrl, key);
  const view = new Map<string, Job>();
  const merge = (job: Job) => {
    const known = view.get(job.id);
    if (!known || known.seq < job.seq) view.set(job.id, job);
  };
  let snapshots = 0;
  const readSnapshot = async () => {
    const res = await fetch(`${apiUrl}/v1/jobs?limit=100`, { headers: { authorization: `Bearer ${key}` } });
    const body = (await res.json()) as { data: Job[] };
    for (const job of body.data) merge(job);
    snapshots++;
  };
  const channel = client.pusher.channel(client.channel)!;
  channel.bind_global((name: string, data: { job?: Job }) => {
    if (name === 'sync') void readSnapshot();
    else if (name.startsWith('job.') && data.job) merge(data.job);
  });
  await client.subscribed;
  await readSnapshot();
  return { ...client, view, snapshots: () => snapshots };
}
