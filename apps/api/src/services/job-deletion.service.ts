import { TERMINAL_STATUSES, type EncodeQueues, type JobRepository } from '@kiln/jobs';
import type { Logger } from '@kiln/logger';
import type { OutputStorage } from '@kiln/storage';
import { ConflictError, NotFoundError } from '../http.errors.js';

/** What {@link JobDeletionService} works on. */
export interface JobDeletionDeps {
  repo: JobRepository;
  queues: EncodeQueues;
  storage: OutputStorage;
  logger: Logger;
}

/**
 * Deletes a customer's finished job for good: its outputs in the storage (local files or S3
 * objects), its BullMQ entry and its record. A queued or running job is a 409 (cancel it first),
 * so no worker can be writing outputs meanwhile. Outputs go first: if the storage fails, the
 * record stays and the customer can delete again.
 */
export class JobDeletionService {
  private readonly repo: JobRepository;
  private readonly queues: EncodeQueues;
  private readonly storage: OutputStorage;
  private readonly logger: Logger;

  constructor(deps: JobDeletionDeps) {
    this.repo = deps.repo;
    this.queues = deps.queues;
    this.storage = deps.storage;
    this.logger = deps.logger;
  }

  async delete(customerId: string, id: string): Promise<void> {
    const job = await this.repo.getForCustomer(customerId, id);
    if (!job) throw new NotFoundError('job');
    if (!TERMINAL_STATUSES.includes(job.status))
      throw new ConflictError(`job is ${job.status}; cancel it before deleting it`);
    await this.queues
      .for(job.pool)
      .remove(id)
      .catch(() => 0);
    await this.storage.removeJob(customerId, id);
    await this.repo.delete(customerId, id);
    this.logger.info({ jobId: id, customerId, outputs: job.outputs.length }, 'job deleted with its outputs');
  }
}
