import { Counter, Histogram, type Registry } from 'prom-client';

/** `kiln_jobs_total{status}` and the encode-duration histogram every worker exposes. */
export class WorkerMetrics {
  readonly jobs: Counter<'status'>;
  readonly encodeSeconds: Histogram<'preset'>;

  constructor(registry: Registry) {
    this.jobs = new Counter({
      name: 'kiln_jobs_total',
      help: 'Jobs finished by this worker, by final status (retrying counts an attempt that will be retried)',
      labelNames: ['status'],
      registers: [registry],
    });
    this.encodeSeconds = new Histogram({
      name: 'kiln_encode_duration_seconds',
      help: 'Wall time of one output encode, by preset',
      labelNames: ['preset'],
      buckets: [0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800],
      registers: [registry],
    });
    for (const status of ['completed', 'failed', 'retrying', 'cancelled'] as const) this.jobs.inc({ status }, 0);
  }
}
