import type { JobStatus } from './job.schema.js';

/**
 * The Redis layout of the job store, in one place: the job hashes, each customer's index of all
 * its jobs and one per status (all scored by creation ms), the index of finished jobs (scored by
 * `finishedAt` ms) that retention sweeps, each customer's encode-speed counters and stored-bytes
 * usage, and the ledger of stored uploads (see `UsageRepository`). The Lua in
 * `job-index.scripts.ts` derives the same names from a job's key, so change both together.
 */
export class JobKeys {
  constructor(readonly prefix: string) {}

  /** `<prefix>:job:<id>`: the job's hash. */
  job(id: string): string {
    return `${this.prefix}:job:${id}`;
  }

  /** `<prefix>:customer:<id>:jobs`: every job of the customer, scored by creation ms. */
  customer(customerId: string): string {
    return `${this.prefix}:customer:${customerId}:jobs`;
  }

  /** `<prefix>:customer:<id>:jobs:<status>`: the customer's jobs in one status, scored by creation ms. */
  status(customerId: string, status: JobStatus): string {
    return `${this.customer(customerId)}:${status}`;
  }

  /** `<prefix>:customer:<id>:stats`: `speedSum` and `speedCount` over the customer's completed jobs. */
  stats(customerId: string): string {
    return `${this.prefix}:customer:${customerId}:stats`;
  }

  /**
   * `<prefix>:customer:<id>:usage`: `outputBytes` (the completed outputs of the customer's jobs)
   * and `uploadBytes` (its stored uploads), kept by the job store's scripts and the upload ledger.
   */
  usage(customerId: string): string {
    return `${this.prefix}:customer:${customerId}:usage`;
  }

  /** `<prefix>:uploads:stored`: every counted upload as `<customerId>/<uploadId>`, scored by when it was stored (ms). */
  uploads(): string {
    return `${this.prefix}:uploads:stored`;
  }

  /** `<prefix>:uploads:sizes`: the bytes each counted upload (`<customerId>/<uploadId>`) added to its customer's usage. */
  uploadSizes(): string {
    return `${this.prefix}:uploads:sizes`;
  }

  /** `<prefix>:jobs:finished`: every completed, failed or cancelled job, scored by `finishedAt` ms. */
  finished(): string {
    return `${this.prefix}:jobs:finished`;
  }

  /** `<prefix>:jobs:index-version`: set once the indexes cover every job (see `JobIndexBackfill`). */
  indexVersion(): string {
    return `${this.prefix}:jobs:index-version`;
  }
}
