import {
  customerChannel,
  jobChannel,
  jobEventPayload,
  minimalJobEventPayload,
  type Job,
  type JobEventName,
} from '@kiln/jobs';
import type { GatedPublisher, PublishOutcome } from './gated-publisher.js';

/**
 * Announces changes to a job on its customer's channel and on its own job channel (a viewer of
 * that job alone), each through its own gate: nobody watching either costs no Pusher call.
 */
export class JobAnnouncer {
  constructor(
    private readonly publisher: GatedPublisher,
    /** Longest {@link announceFinal} waits for its event (a timing-out Pusher takes 5 s a try). */
    private readonly finalWaitMs = 2_000,
  ) {}

  /**
   * Publishes `event` with the summary of the job as stored (its seq included), never its files:
   * an event stays within Pusher's 10 KB for any job, and a record that somehow would not goes
   * out as its minimal summary (logged and counted) rather than not at all. `progressOnly` marks
   * an update that changed nothing but progress numbers: it may be coalesced with the next one.
   */
  async announce(job: Job, event: JobEventName, progressOnly = false): Promise<PublishOutcome> {
    // Two keys: progress coalesces per channel, and each channel keeps the job's events in order.
    const targets = [
      { channel: customerChannel(job.customerId), key: job.id },
      { channel: jobChannel(job.id), key: `job:${job.id}` },
    ];
    const outcomes = await this.publisher.publishToEach(targets, event, jobEventPayload(job), {
      kind: progressOnly ? 'progress' : 'state',
      fallback: () => minimalJobEventPayload(job),
    });
    return combined(outcomes);
  }

  /**
   * {@link announce} for a job's final state, waited for while Pusher works, so a worker that
   * acknowledges the job afterwards has delivered the event first (a worker killed before the
   * acknowledgement gets the job announced again by the next one). While Pusher is failing it
   * does not wait, and it never waits longer than `finalWaitMs`: the retries' backoff would stall
   * the encode path for nothing. The event stays queued in order behind the job's earlier ones,
   * and clients re-sync from the API.
   */
  announceFinal(job: Job, event: JobEventName): Promise<PublishOutcome | 'queued'> {
    return this.delivered(this.announce(job, event));
  }

  /**
   * {@link announce} for a job about to be queued (`job.created`), waited for the same way as
   * {@link announceFinal}: events go out in order per process, but a worker is another process,
   * so the job reaches the queue only once its creation has left, and the worker's `probing`
   * cannot overtake it on the channel.
   */
  announceBeforeQueueing(job: Job, event: JobEventName): Promise<PublishOutcome | 'queued'> {
    return this.delivered(this.announce(job, event));
  }

  /** Waits for `outcome` while Pusher works, at most `finalWaitMs`; 'queued' when it stopped waiting. */
  private async delivered(outcome: Promise<PublishOutcome>): Promise<PublishOutcome | 'queued'> {
    if (this.publisher.degraded) return 'queued';
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'queued'>((resolve) => {
      timer = setTimeout(() => resolve('queued'), this.finalWaitMs);
    });
    try {
      return await Promise.race([outcome, gaveUp]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** One outcome for an event sent to several channels: a failure anywhere, else the most that happened. */
function combined(outcomes: PublishOutcome[]): PublishOutcome {
  for (const o of ['failed', 'published', 'coalesced'] as const) if (outcomes.includes(o)) return o;
  return 'gated';
}
