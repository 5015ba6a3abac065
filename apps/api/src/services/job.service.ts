import { createJobSchema, JOB_EVENTS, type CreateJobRequest, type EncodeJobData, type Job, type JobRepository } from '@kiln/jobs';
import type { Logger } from '@kiln/logger';
import type { JobAnnouncer } from '@kiln/realtime';
import type { Queue } from 'bullmq';
import { ServiceUnavailableError, ValidationError } from '../errors.js';
import { validationErrorFrom } from '../middleware/error.middleware.js';
import type { InputPolicy } from './input-policy.js';

/** Creating and reading jobs on behalf of one customer. */
export class JobService {
  constructor(
    private readonly repo: JobRepository,
    private readonly queue: Queue<EncodeJobData>,
    private readonly announcer: JobAnnouncer,
    private readonly inputPolicy: InputPolicy,
    private readonly logger: Logger,
  ) {}

  /** Validates a `POST /v1/jobs` body; throws a ValidationError naming the fields. */
  parse(body: unknown): CreateJobRequest {
    if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new ValidationError([{ path: '(body)', message: 'expected a JSON object {input, outputs}' }]);
    }
    const parsed = createJobSchema.safeParse(body);
    if (!parsed.success) throw validationErrorFrom(parsed.error);
    const issues = this.inputPolicy.check(parsed.data.input);
    if (issues.length > 0) throw new ValidationError(issues);
    return parsed.data;
  }

  /** Stores the job, queues it, and announces `job.created` (gated, not awaited by the caller). */
  async create(customerId: string, request: CreateJobRequest): Promise<Job> {
    const job = await this.repo.create({ customerId, input: request.input, outputs: request.outputs, metadata: request.metadata });
    try {
      await this.queue.add('encode', { jobId: job.id, customerId }, { jobId: job.id });
    } catch (err) {
      this.logger.error({ err, jobId: job.id }, 'could not queue job');
      await this.repo.update(job.id, { status: 'failed', error: { code: 'enqueue_failed', message: 'the job could not be queued; try again' }, finishedAt: new Date().toISOString() });
      throw new ServiceUnavailableError('the job queue is unavailable; try again');
    }
    void this.announcer.announce(job, JOB_EVENTS.created);
    return job;
  }
}
