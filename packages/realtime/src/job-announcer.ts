import { customerChannel, jobEventPayload, type Job, type JobEventName } from '@kiln/jobs';
import type { GatedPublisher, PublishOutcome } from './gated-publisher.js';

/** Announces changes to a job on its customer's channel, through the gate. */
export class JobAnnouncer {
  constructor(private readonly publisher: GatedPublisher) {}

  /**
   * Publishes `event` with the job as stored (its seq included). `progressOnly` marks an update
   * that changed nothing but progress numbers: it may be coalesced with the next one.
   */
  announce(job: Job, event: JobEventName, progressOnly = false): Promise<PublishOutcome> {
    return this.publisher.publish(customerChannel(job.customerId), event, jobEventPayload(job), {
      key: job.id,
      kind: progressOnly ? 'progress' : 'state',
    });
  }
}
