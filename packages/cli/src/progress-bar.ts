import cliProgress from 'cli-progress';
import { formatQueuePlace, isTerminal, type JobQueue, type JobSummary } from '@kiln/client';
import { formatPercent, formatProgressLine, progressFields } from './progress-format.js';

/** Where a watched job's progress goes: a terminal bar, plain lines, or nowhere (`--json`). */
export interface ProgressReporter {
  update(job: JobSummary): void;
  /** Where the job stands in line while it is queued, before its progress starts. */
  showPlace(place: JobQueue): void;
  /** Leaves the display in its final state (the bar stays on screen, the cursor comes back). */
  stop(): void;
}

/** A writable text stream; `process.stdout` in the CLI, a buffer in tests. */
export interface TextOut {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/** ANSI: back to the start of the line and erase it, so the place in line is redrawn where it stands. */
const REDRAW_LINE = '\r\u001b[2K';

/**
 * A cli-progress bar for an interactive terminal: percent, status, fps, speed and the job's own
 * ETA (from ffmpeg's position, not cli-progress's guess from the bar's rate). While the job is
 * queued it shows its place in line on that line instead (`3rd in line · ~2 min`), redrawn as
 * the line moves, and the bar replaces it once the job starts.
 */
export class TerminalProgressBar implements ProgressReporter {
  readonly #bar: cliProgress.SingleBar;
  readonly #stream: NodeJS.WritableStream;
  #started = false;
  #placeShown = false;

  constructor(stream: NodeJS.WritableStream) {
    this.#stream = stream;
    this.#bar = new cliProgress.SingleBar({
      stream,
      format: ' {bar} {pct} | {status} | {fps} | {speed} | ETA {etaText}',
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      // Draw on every update we give it; updates are already paced by the server's coalescing.
      fps: 20,
    });
  }

  showPlace(place: JobQueue): void {
    if (this.#started) return;
    this.#stream.write(`${REDRAW_LINE} queued · ${formatQueuePlace(place)}`);
    this.#placeShown = true;
  }

  update(job: JobSummary): void {
    // Queued: the line says so (with the place in line once known) until the job starts.
    if (!this.#started && job.status === 'queued') {
      if (!this.#placeShown) this.#stream.write(`${REDRAW_LINE} queued`);
      this.#placeShown = true;
      return;
    }
    if (!this.#started && this.#placeShown) {
      this.#stream.write(REDRAW_LINE);
      this.#placeShown = false;
    }
    const f = progressFields(job.status, job.progress);
    const percent = job.status === 'completed' ? 100 : Math.min(100, Math.max(0, job.progress.percent || 0));
    const payload = {
      pct: job.status === 'completed' ? formatPercent(100) : f.percent,
      status: f.status.padEnd(9),
      fps: f.fps,
      speed: f.speed,
      etaText: f.eta,
    };
    if (!this.#started) {
      this.#bar.start(100, percent, payload);
      this.#started = true;
    } else {
      this.#bar.update(percent, payload);
    }
  }

  stop(): void {
    if (this.#started) this.#bar.stop();
    else if (this.#placeShown) this.#stream.write('\n');
    this.#started = false;
    this.#placeShown = false;
  }
}

/**
 * Plain progress lines for pipes and CI logs, where a redrawn bar would be noise: at most one line
 * per `intervalMs`, except that a change of status is always printed (a job can pass through
 * probing, encoding and storing within one second, and each of those is news). Terminal statuses
 * are left to the command's summary.
 */
export class PlainProgressLines implements ProgressReporter {
  #lastAt = Number.NEGATIVE_INFINITY;
  #lastStatus: string | undefined;
  #lastPlaceAt = Number.NEGATIVE_INFINITY;
  #lastPlace: string | undefined;
  #lastPlaceLine: string | undefined;

  constructor(
    private readonly out: TextOut,
    private readonly now: () => number = Date.now,
    private readonly intervalMs = 1000,
  ) {}

  update(job: JobSummary): void {
    if (isTerminal(job.status)) return;
    const t = this.now();
    if (job.status === this.#lastStatus && t - this.#lastAt < this.intervalMs) return;
    this.#lastAt = t;
    this.#lastStatus = job.status;
    this.out.write(`${formatProgressLine(job)}\n`);
  }

  /**
   * `queued · 3rd in line · ~2 min`: a new place or reason is always printed, a new estimate
   * alone at most once per `intervalMs`.
   */
  showPlace(place: JobQueue): void {
    const t = this.now();
    const where = formatQueuePlace({ ...place, etaSeconds: null });
    if (where === this.#lastPlace && t - this.#lastPlaceAt < this.intervalMs) return;
    const line = `queued · ${formatQueuePlace(place)}`;
    if (line === this.#lastPlaceLine) return;
    this.#lastPlaceLine = line;
    this.#lastPlaceAt = t;
    this.#lastPlace = where;
    this.out.write(`${line}\n`);
  }

  stop(): void {}
}

/** No progress output: `--json` prints one document at the end. */
export class SilentProgress implements ProgressReporter {
  update(_job: JobSummary): void {}
  showPlace(_place: JobQueue): void {}
  stop(): void {}
}
