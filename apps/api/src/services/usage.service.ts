import { formatByteSize, type CustomerLimits, type LimitValues } from '@kiln/config';
import type { JobLimitExceededError, UsageRepository } from '@kiln/jobs';
import { QueuedJobsLimitError, StoredBytesLimitError, type CustomerLimitError } from '../http.errors.js';

/** One limit and what the customer uses of it; `limit` null = none. */
interface UsageAgainstLimit {
  used: number;
  limit: number | null;
}

/** `GET /v1/usage`: a customer's usage against its limits. */
export interface UsageReport {
  customerId: string;
  running: UsageAgainstLimit;
  queued: UsageAgainstLimit;
  storedBytes: UsageAgainstLimit;
}

/**
 * Seconds a customer at its queued-jobs limit is told to wait (`Retry-After`): how soon one of its
 * waiting jobs is expected to start. The scheduler's queue estimate plugs in here.
 */
export type RetryAfterEstimate = (customerId: string) => number | Promise<number>;

/** `Retry-After` of a `queued_jobs_limit` answer when no estimate is given, or it fails. */
export const DEFAULT_QUEUED_RETRY_AFTER_S = 30;

/** What a {@link UsageService} works with. */
export interface UsageServiceDeps {
  repo: UsageRepository;
  limits: CustomerLimits;
  /** Default: {@link DEFAULT_QUEUED_RETRY_AFTER_S} for everyone. */
  queuedRetryAfter?: RetryAfterEstimate;
}

/**
 * Customers' usage against their limits: `GET /v1/usage`, the 429 answers of the limits (with the
 * usage in their body), and the stored-bytes checks of uploads. The limits themselves are checked
 * where what they count is written: a job's create (atomically, in the job store) and an upload's
 * count (atomically, in the upload ledger).
 */
export class UsageService {
  private readonly repo: UsageRepository;
  private readonly limits: CustomerLimits;
  private readonly queuedRetryAfter: RetryAfterEstimate;

  constructor(deps: UsageServiceDeps) {
    this.repo = deps.repo;
    this.limits = deps.limits;
    this.queuedRetryAfter = deps.queuedRetryAfter ?? (() => DEFAULT_QUEUED_RETRY_AFTER_S);
  }

  /** The customer's limits (null = none). */
  limitsFor(customerId: string): LimitValues {
    return this.limits.for(customerId);
  }

  /** The customer's usage against its limits. */
  async report(customerId: string): Promise<UsageReport> {
    const limits = this.limits.for(customerId);
    const used = await this.repo.read(customerId);
    return {
      customerId,
      running: { used: used.running, limit: limits.running },
      queued: { used: used.queued, limit: limits.queued },
      storedBytes: { used: used.outputBytes + used.uploadBytes, limit: limits.storedBytes },
    };
  }

  /** {@link report} without the customer id: what a 429's body carries. */
  private async usage(customerId: string): Promise<Omit<UsageReport, 'customerId'>> {
    const { running, queued, storedBytes } = await this.report(customerId);
    return { running, queued, storedBytes };
  }

  /** The 429 for a create the job store refused at a limit. */
  async refusal(customerId: string, err: JobLimitExceededError): Promise<CustomerLimitError> {
    if (err.limit === 'storedBytes') return this.storedBytesRefusal(customerId);
    const usage = await this.usage(customerId);
    return new QueuedJobsLimitError(
      `the limit of waiting jobs (queued=${err.value}) is reached: ${usage.queued.used} jobs are waiting; retry once some have started, or cancel some`,
      'queued',
      usage,
      await this.retryAfter(customerId),
    );
  }

  /** The 429 for a customer at its stored-bytes limit. */
  async storedBytesRefusal(customerId: string, adding = 0): Promise<StoredBytesLimitError> {
    const usage = await this.usage(customerId);
    const limit = usage.storedBytes.limit ?? 0;
    const what = adding > 0 ? ` and this upload of ${adding} bytes does not fit` : '';
    return new StoredBytesLimitError(
      `the limit of stored bytes (stored=${limit}, ${formatByteSize(limit)}) is reached: ${usage.storedBytes.used} bytes are stored in outputs and uploads${what}; delete finished jobs (DELETE /v1/jobs/:id) to make room, uploads are removed as they expire`,
      'storedBytes',
      usage,
    );
  }

  /** Bytes the customer may still store: Infinity without a limit, 0 at or past it. */
  async room(customerId: string): Promise<number> {
    const { storedBytes } = this.limits.for(customerId);
    if (storedBytes === null) return Number.POSITIVE_INFINITY;
    const used = await this.repo.read(customerId);
    return Math.max(0, storedBytes - used.outputBytes - used.uploadBytes);
  }

  /** Counts a stored upload; false (nothing counted) when it takes the customer past its limit. */
  async countUpload(customerId: string, uploadId: string, sizeBytes: number): Promise<boolean> {
    const res = await this.repo.addUpload(customerId, uploadId, sizeBytes, this.limits.for(customerId).storedBytes);
    return res.ok;
  }

  /** Whole seconds ≥ 1 from the estimate; the default when it fails or says nothing useful. */
  private async retryAfter(customerId: string): Promise<number> {
    try {
      const s = await this.queuedRetryAfter(customerId);
      return Number.isFinite(s) && s > 0 ? Math.ceil(s) : DEFAULT_QUEUED_RETRY_AFTER_S;
    } catch {
      return DEFAULT_QUEUED_RETRY_AFTER_S;
    }
  }
}
