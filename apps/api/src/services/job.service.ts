import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ACTIVE_STATUSES,
  createJobSchema,
  EMPTY_PROGRESS,
  isRedisUnavailableError,
  JOB_EVENTS,
  JobLimitExceededError,
  resetOutputs,
  eventForStatus,
  type CreateJobRequest,
  type EncodeQueues,
  type Job,
  type JobPriority,
  type JobRepository,
} from '@kiln/jobs';
import type { WebhookEmitter, WebhookEventType } from '@kiln/customer-webhooks';
import type { Logger } from '@kiln/logger';
import type { JobAnnouncer } from '@kiln/realtime';
import type { FairQueue } from '@kiln/scheduler';
import {
  ConflictError,
  IdempotencyKeyInUseError,
  IdempotencyKeyReusedError,
  NotFoundError,
  RedisUnavailableError,
  ServiceUnavailableError,
  ValidationError,
} from '../http.errors.js';
import { validationErrorFrom } from '../middleware/error.middleware.js';
import { Compensations } from './compensations.js';
import type { IdempotencyRecord, IdempotencyRepository } from './idempotency.repository.js';
import type { InputPolicy } from './input-policy.js';
import type { UsageService } from './usage.service.js';

/** How long a replay waits for the first request with its key to store the job. */
const REPLAY_WAIT_MS = 1_000;
/** How long a retry waits for the previous run's worker to let go of it (a cancel takes ≤ 2 s). */
const RETRY_WAIT_MS = 5_000;
/** A claim older than this whose job never appeared belongs to a request that died. */
const DEAD_CLAIM_MS = 15_000;

/** The error a job carries whose queueing failed (its create or retry answered 503). */
const ENQUEUE_FAILED = { code: 'enqueue_failed', message: 'the job could not be queued; try again' } as const;

/** A Redis failure as the API's 503; anything else as it is. */
const unavailable = (err: unknown): unknown => (isRedisUnavailableError(err) ? new RedisUnavailableError() : err);

/** A create with an `Idempotency-Key`: the key and the fingerprint of the body it came with. */
export interface IdempotentRequest {
  key: string;
  fingerprint: string;
}

/** What a {@link JobService} works with. */
export interface JobServiceDeps {
  repo: JobRepository;
  /** The BullMQ queue of each pool (jobs reach them through the fair queue's dispatcher). */
  queues: EncodeQueues;
  /** The fair-share line jobs wait in until a worker has room. */
  line: FairQueue;
  /** Asks the dispatcher to hand jobs out now (a job joined the line or left it). */
  kick: () => void;
  /** A customer's limit on jobs running at once (0: none). Default none. */
  runningCap?: (customerId: string) => number;
  announcer: JobAnnouncer;
  inputPolicy: InputPolicy;
  logger: Logger;
  /** Publishes a cancel request to every worker (Redis pub/sub). */
  notifyCancel: (jobId: string) => Promise<unknown>;
  idempotency: IdempotencyRepository;
  /** Default `Date.now`. */
  clock?: () => number;
  /** Undoes the writes of creates that answered 503 (main.ts retries them when Redis is back). */
  compensations?: Compensations;
  /** The customers' limits a create must stay within (429 past one); none without it. */
  usage?: UsageService;
  /** Customer webhooks: `job.cancelled` (and `job.failed` of an abandoned retry) are emitted here. */
  webhooks?: Pick<WebhookEmitter, 'emit'>;
}

/** Creating and reading jobs on behalf of one customer. */
export class JobService {
  private readonly repo: JobRepository;
  private readonly queues: EncodeQueues;
  private readonly line: FairQueue;
  private readonly kick: () => void;
  private readonly runningCap: (customerId: string) => number;
  private readonly announcer: JobAnnouncer;
  private readonly inputPolicy: InputPolicy;
  private readonly logger: Logger;
  private readonly notifyCancel: (jobId: string) => Promise<unknown>;
  private readonly idempotency: IdempotencyRepository;
  private readonly clock: () => number;
  private readonly usage: UsageService | undefined;
  private readonly webhooks: Pick<WebhookEmitter, 'emit'> | undefined;
  /** Undoes the writes of creates that answered 503 (retried when Redis is back). */
  readonly compensations: Compensations;

  constructor(deps: JobServiceDeps) {
    this.repo = deps.repo;
    this.queues = deps.queues;
    this.line = deps.line;
    this.kick = deps.kick;
    this.runningCap = deps.runningCap ?? (() => 0);
    this.announcer = deps.announcer;
    this.inputPolicy = deps.inputPolicy;
    this.logger = deps.logger;
    this.notifyCancel = deps.notifyCancel;
    this.idempotency = deps.idempotency;
    this.clock = deps.clock ?? Date.now;
    this.compensations = deps.compensations ?? new Compensations(deps.logger);
    this.usage = deps.usage;
    this.webhooks = deps.webhooks;
  }

  /** Emits a customer webhook event; a failure to queue it is logged, the request still succeeds. */
  private async emitWebhook(type: WebhookEventType, job: Job): Promise<void> {
    try {
      await this.webhooks?.emit(type, job);
    } catch (err) {
      this.logger.warn({ err, jobId: job.id, event: type }, 'could not queue the webhook deliveries of an event');
    }
  }

  /**
   * Validates a `POST /v1/jobs` body for a customer (an `upload://` input must be one of its
   * uploads); throws a ValidationError naming the fields.
   */
  async parse(body: unknown, customerId: string): Promise<CreateJobRequest> {
    if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new ValidationError([{ path: '(body)', message: 'expected a JSON object {input, outputs}' }]);
    }
    const parsed = createJobSchema.safeParse(body);
    if (!parsed.success) throw validationErrorFrom(parsed.error);
    const issues = await this.inputPolicy.check(parsed.data.input, customerId);
    // The watermark's image is fetched as an input is: the same rules, named by its own field.
    const image = parsed.data.watermark?.image;
    if (image !== undefined)
      for (const issue of await this.inputPolicy.check(image, customerId))
        issues.push({ ...issue, path: 'watermark.image' });
    if (issues.length > 0) throw new ValidationError(issues);
    return parsed.data;
  }

  /**
   * Stores the job, announces `job.created` (gated; sent before the job is queued, so a worker's
   * first event cannot reach the channel ahead of it), and queues it. When Redis fails on the way
   * (a 503 for the client), what was written is undone, also if it lands later. A customer at
   * its queued or stored-bytes limit gets a 429 and nothing is written.
   */
  async create(customerId: string, request: CreateJobRequest, id: string = randomUUID()): Promise<Job> {
    let job: Job;
    try {
      job = await this.repo.create({
        customerId,
        limits: this.usage?.limitsFor(customerId),
        input: request.input,
        outputs: request.outputs,
        metadata: request.metadata,
        priority: request.priority,
        clip: request.clip,
        loudness: request.loudness,
        watermark: request.watermark,
        id,
      });
    } catch (err) {
      if (err instanceof JobLimitExceededError && this.usage) throw await this.usage.refusal(customerId, err);
      // The client is told nothing was created, yet a hung Redis runs the write when it wakes up.
      void this.compensations.run(`record:${id}`, () => this.repo.delete(customerId, id));
      throw unavailable(err);
    }
    try {
      await this.enqueue(job, `queued:${id}`, () => this.unqueue(job));
    } catch (err) {
      // The record is being removed, so this failure is told, never stored.
      const failed: Job = { ...job, status: 'failed', seq: job.seq + 1, error: ENQUEUE_FAILED };
      void this.announcer.announce({ ...failed, finishedAt: new Date().toISOString() }, JOB_EVENTS.failed);
      throw err;
    }
    return job;
  }

  /**
   * The one way a job gets in line, for create and retry alike: announce `job.created` (gated;
   * before it joins, so a worker's first event cannot reach the channel ahead of it), put it in
   * the fair queue and ask the dispatcher to hand jobs out; when joining fails (a 503 for the
   * client) run `undo` as a compensation, which also lands if a hung Redis runs the write later.
   * `undo` starts at once and is retried until Redis takes it.
   */
  private async enqueue(job: Job, undoKey: string, undo: () => Promise<void>): Promise<void> {
    await this.announcer.announceBeforeQueueing(job, JOB_EVENTS.created);
    try {
      await this.line.enqueue({
        jobId: job.id,
        customerId: job.customerId,
        pool: job.pool,
        priority: job.priority,
        runningCap: this.runningCap(job.customerId),
      });
      this.kick();
    } catch (err) {
      this.logger.error({ err, jobId: job.id }, 'could not queue job; undoing');
      void this.compensations.run(undoKey, undo);
      throw isRedisUnavailableError(err)
        ? new RedisUnavailableError()
        : new ServiceUnavailableError('the job queue is unavailable; try again');
    }
  }

  /**
   * Undoes a create whose queueing failed: its place in line, its BullMQ entry (a write that timed
   * out may still have run, and the dispatcher handed it out) and then its record, so no worker
   * can run it and the client, told 503, does not see it.
   */
  private async unqueue(job: Job): Promise<void> {
    const bull = this.queues.for(job.pool);
    await bull.remove(job.id);
    // remove() answers 0 for a locked job too: one a worker already took is left to run.
    if (await bull.getJob(job.id)) {
      this.logger.warn({ jobId: job.id }, 'a job whose queueing timed out was taken by a worker meanwhile; it runs');
      return;
    }
    await this.line.forget(job.id);
    await this.repo.delete(job.customerId, job.id);
  }

  /**
   * {@link create} at most once per customer and `Idempotency-Key`: the first request with a key
   * creates the job; a later one with the same body gets that job (`replayed`), one with another
   * body a 409. A create that fails gives the key back, so the client's retry can succeed.
   */
  async createOnce(
    customerId: string,
    request: CreateJobRequest,
    idem: IdempotentRequest,
  ): Promise<{ job: Job; replayed: boolean }> {
    const mine: IdempotencyRecord = { fingerprint: idem.fingerprint, jobId: randomUUID(), claimedAt: this.clock() };
    const release = () =>
      void this.compensations.run(`idem:${mine.jobId}`, () => this.idempotency.release(customerId, idem.key, mine));
    let holder: IdempotencyRecord | null;
    try {
      holder = await this.idempotency.claim(customerId, idem.key, mine);
    } catch (err) {
      release(); // a claim that lands late would hold the key for a job that never comes
      throw unavailable(err);
    }
    if (holder) {
      if (holder.fingerprint !== idem.fingerprint) {
        throw new IdempotencyKeyReusedError(
          'this Idempotency-Key was already used with a different request body; use a new key for a new job',
        );
      }
      const job = await this.waitForJob(customerId, holder.jobId);
      if (job) return { job, replayed: true };
      if (this.clock() - holder.claimedAt < DEAD_CLAIM_MS) {
        throw new IdempotencyKeyInUseError(
          'a request with this Idempotency-Key is still being processed; retry in a moment',
        );
      }
      if (!(await this.idempotency.takeOver(customerId, idem.key, holder, mine))) {
        throw new IdempotencyKeyInUseError('a request with this Idempotency-Key is being processed; retry in a moment');
      }
      this.logger.warn(
        { customerId, jobId: holder.jobId },
        'took over an idempotency key whose request never stored its job',
      );
    }
    try {
      return { job: await this.create(customerId, request, mine.jobId), replayed: false };
    } catch (err) {
      release();
      throw err;
    }
  }

  /** The job of an earlier request with the same key; it may still be storing it. */
  private async waitForJob(customerId: string, jobId: string): Promise<Job | null> {
    const deadline = performance.now() + REPLAY_WAIT_MS;
    for (;;) {
      const job = await this.repo.getForCustomer(customerId, jobId);
      if (job || performance.now() >= deadline) return job;
      await sleep(25);
    }
  }

  /**
   * Cancels a job that has not finished: it is marked cancelled at once (a worker's next step
   * sees that and stops), removed from the queue if waiting, and every worker is told to kill
   * its ffmpeg if it runs it. A finished job is a 409.
   */
  async cancel(customerId: string, id: string): Promise<Job> {
    const job = await this.repo.getForCustomer(customerId, id);
    if (!job) throw new NotFoundError('job');
    const res = await this.repo.update(id, { status: 'cancelled', finishedAt: new Date().toISOString(), error: null }, [
      'queued',
      ...ACTIVE_STATUSES,
    ]);
    if (!res.ok)
      throw new ConflictError(
        `job is ${res.reason === 'status' ? res.current : 'gone'}; only queued or running jobs can be cancelled`,
      );
    await this.line.forget(id); // its running place (if any) goes to the customer's next job
    await this.queues
      .for(job.pool)
      .remove(id)
      .catch(() => 0); // a running job is locked: the worker gets the message below
    await this.notifyCancel(id);
    this.kick();
    void this.announcer.announce(res.job, JOB_EVENTS.cancelled);
    await this.emitWebhook('job.cancelled', res.job);
    return res.job;
  }

  /** Queues a failed or cancelled job again, as a fresh run with the same id and outputs. */
  async retry(customerId: string, id: string): Promise<Job> {
    const job = await this.repo.getForCustomer(customerId, id);
    if (!job) throw new NotFoundError('job');
    if (job.status !== 'failed' && job.status !== 'cancelled')
      throw new ConflictError(`job is ${job.status}; only failed or cancelled jobs can be retried`);
    // Right after a cancel, the worker may still be stopping its ffmpeg (at most ~2 s) and holds
    // the run's lock: wait for it rather than send the customer away.
    const deadline = performance.now() + RETRY_WAIT_MS;
    for (;;) {
      const previous = await this.queues.for(job.pool).getJob(id);
      if (
        !previous ||
        (await previous.remove().then(
          () => true,
          () => false,
        ))
      )
        break;
      if (performance.now() >= deadline)
        throw new ConflictError('the previous run is still stopping; retry in a few seconds');
      await sleep(100);
    }
    const outputs = resetOutputs(job.outputs);
    const res = await this.repo.update(
      id,
      {
        status: 'queued',
        error: null,
        progress: EMPTY_PROGRESS,
        outputs,
        attempts: 0,
        startedAt: null,
        finishedAt: null,
      },
      ['failed', 'cancelled'],
    );
    if (!res.ok) throw new ConflictError('job changed meanwhile; read it and try again');
    await this.enqueue(res.job, `requeued:${id}`, () => this.abandonRetry(res.job));
    return res.job;
  }

  /**
   * Changes a queued job's priority (its place among the customer's own waiting jobs). A job a
   * worker already has, or one that is no longer queued, is a 409.
   */
  async reprioritize(customerId: string, id: string, priority: JobPriority): Promise<Job> {
    const job = await this.repo.getForCustomer(customerId, id);
    if (!job) throw new NotFoundError('job');
    if (job.status !== 'queued')
      throw new ConflictError(`job is ${job.status}; only a queued job's priority can change`);
    if (job.priority === priority) return job;
    if (!(await this.line.reprioritize(id, priority)))
      throw new ConflictError('job was already handed to a worker; its priority can no longer change');
    const res = await this.repo.update(id, { priority }, ['queued']);
    if (!res.ok) throw new ConflictError('job changed meanwhile; read it and try again');
    void this.announcer.announce(res.job, eventForStatus(res.job.status));
    return res.job;
  }

  /** Undoes a retry whose queueing failed (the client got a 503): no run, and the job is failed again. */
  private async abandonRetry(job: Job): Promise<void> {
    const { id } = job;
    const bull = this.queues.for(job.pool);
    await bull.remove(id);
    if (await bull.getJob(id)) return; // a worker took it meanwhile: it runs
    await this.line.forget(id);
    const res = await this.repo.update(
      id,
      { status: 'failed', error: ENQUEUE_FAILED, finishedAt: new Date().toISOString() },
      ['queued'],
    );
    if (res.ok) void this.announcer.announce(res.job, JOB_EVENTS.failed);
    if (res.ok) await this.emitWebhook('job.failed', res.job);
  }
}
