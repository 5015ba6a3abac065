import { compareJobVersions, isFullJob, TERMINAL_STATUSES, type Job, type JobSummary } from '@kiln/jobs';
import { connectCustomerClient } from './pusher-client.js';

/**
 * A watcher that follows the realtime protocol like the dashboard and the CLI: merge every
 * `job.*` event (a summary) and every `GET /v1/jobs` snapshot (read on subscribe and on `sync`)
 * by seq, and read a job's full record once an event says it ended, so the view ends with the
 * API's record of every finished job.
 */
export async function connectViewClient(apiUrl: string, key: string) {
  const client = await connectCustomerClient(apiUrl, key);
  const view = new Map<string, JobSummary>();
  const merge = (job: JobSummary) => {
    const outcome = compareJobVersions(view.get(job.id), job);
    if (outcome === 'inserted' || outcome === 'updated') view.set(job.id, job);
  };
  const get = (path: string) => fetch(`${apiUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });
  let snapshots = 0;
  const readSnapshot = async () => {
    const body = (await (await get('/v1/jobs?limit=100')).json()) as { data: Job[] };
    for (const job of body.data) merge(job);
    snapshots++;
  };
  const readDetails = async (id: string) => {
    const res = await get(`/v1/jobs/${encodeURIComponent(id)}`);
    if (res.ok) merge((await res.json()) as Job);
  };
  const channel = client.pusher.channel(client.channel)!;
  channel.bind_global((name: string, data: { job?: JobSummary }) => {
    if (name === 'sync') void readSnapshot();
    else if (name.startsWith('job.') && data.job) {
      merge(data.job);
      if (TERMINAL_STATUSES.includes(data.job.status) && !isFullJob(data.job)) void readDetails(data.job.id);
    }
  });
  await client.subscribed;
  await readSnapshot();
  /** The job as the view holds it, only once it is the full record (not an event's summary). */
  const record = (id: string): Job | undefined => {
    const job = view.get(id);
    return job !== undefined && isFullJob(job) ? job : undefined;
  };
  return { ...client, view, record, snapshots: () => snapshots };
}
