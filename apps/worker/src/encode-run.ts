import { rm } from 'node:fs/promises';
import type { EncodeJobData, Job, JobOutput, Preset } from '@kiln/jobs';
import type { Logger } from '@kiln/logger';
import type { MediaSource, WatermarkImage } from '@kiln/media';
import type { ScratchOutput } from '@kiln/storage';
import type { Job as BullJob } from 'bullmq';
import type { SlotClaim } from './encode-slots.js';
import type { RunWatch } from './run-watch.js';

/**
 * One run (attempt) of a job on this worker: BullMQ's lock token fences its writes, its scratch
 * files live in a folder of its own (`runId`), and its watch stops it when the job is cancelled
 * or the lock is lost.
 */
export interface EncodeRun {
  bull: BullJob<EncodeJobData>;
  /** The job's record when the run began. */
  job: Job;
  token: string | undefined;
  runId: string;
  /** This attempt, counted from 1. */
  attempt: number;
  maxAttempts: number;
  watch: RunWatch;
  log: Logger;
  /** The job's watermark image, fetched and probed for this run's encodes. */
  watermark?: WatermarkImage;
  /** Set once this run added chunk children to the job's BullMQ job: it must wait for them before it ends. */
  children?: boolean;
}

/** One output of a run: its place in the job, its preset, and where ffmpeg writes it. */
export interface PlannedOutput {
  index: number;
  preset: Preset;
  scratch: ScratchOutput;
}

/**
 * What one attempt holds until it ends: its encode slot, its input folder, its scratch outputs
 * and its open input. `close` lets all of them go, whichever way the attempt ended, so the
 * handler has one place that releases the slot and removes scratch files.
 */
export class AttemptHold {
  workDir: string | undefined;
  /** The local input file, once resolved. */
  input: string | undefined;
  plan: PlannedOutput[] = [];
  source: MediaSource | undefined;

  constructor(
    readonly slot: SlotClaim,
    /** The job's outputs as this attempt has made them so far. */
    public outputs: JobOutput[],
  ) {}

  /** Lets go of everything; scratch outputs already committed stay where they were put. */
  async close(): Promise<void> {
    // The input first: an encode begun early may still be writing to its scratch output.
    await this.source?.close();
    await Promise.all(this.plan.map((p) => p.scratch.discard()));
    this.slot.release();
    if (this.workDir) await rm(this.workDir, { recursive: true, force: true });
  }
}
