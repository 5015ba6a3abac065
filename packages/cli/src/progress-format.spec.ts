import { describe, expect, it } from 'vitest';
import { jobsTable } from './commands/jobs.command.js';
import { job } from './fake-api.test-helper.js';
import { Writable } from 'node:stream';
import { PlainProgressLines, TerminalProgressBar } from './progress-bar.js';
import {
  formatBytes,
  formatDuration,
  formatEta,
  formatFps,
  formatOutputShape,
  formatPercent,
  formatProgressLine,
  formatSpeed,
  formatTimestamp,
} from './progress-format.js';
import { renderTable } from './table.js';

describe('progress formatting', () => {
  it('shows whole percents clamped to 0-100', () => {
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(42.9)).toBe('42%');
    expect(formatPercent(100.4)).toBe('100%');
    expect(formatPercent(-3)).toBe('0%');
    expect(formatPercent(Number.NaN)).toBe('0%');
  });

  it('shows fps, speed and ETA, with a placeholder while unknown', () => {
    expect(formatFps(119.6)).toBe('120 fps');
    expect(formatFps(null)).toBe('- fps');
    expect(formatSpeed(4.14)).toBe('4.1x');
    expect(formatSpeed(12.6)).toBe('13x');
    expect(formatSpeed(null)).toBe('-x');
    expect(formatEta(0)).toBe('0:00');
    expect(formatEta(1.2)).toBe('0:02');
    expect(formatEta(65)).toBe('1:05');
    expect(formatEta(3725)).toBe('1:02:05');
    expect(formatEta(null)).toBe('-:--');
  });

  it('shows sizes in decimal units and durations compactly', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(85_200)).toBe('85.2 kB');
    expect(formatBytes(1_234_567)).toBe('1.2 MB');
    expect(formatBytes(250_000_000)).toBe('250 MB');
    expect(formatBytes(null)).toBe('-');
    expect(formatDuration(2.04)).toBe('2.0s');
    expect(formatDuration(65)).toBe('1m05s');
    expect(formatDuration(3720)).toBe('1h02m');
    expect(formatOutputShape({ width: 480, height: 360, durationSeconds: 2 })).toBe('480x360 2.0s');
    expect(formatOutputShape({ width: null, height: null, durationSeconds: null })).toBe('');
    expect(formatTimestamp('2025-03-04T05:06:07.890Z')).toBe('2025-03-04 05:06:07Z');
  });

  it('puts status, percent, fps, speed and ETA on one plain line', () => {
    expect(
      formatProgressLine({ status: 'encoding', progress: { percent: 45.5, fps: 120, speed: 4.1, etaSeconds: 2 } }),
    ).toBe('encoding 45% | 120 fps | 4.1x | ETA 0:02');
  });
});

describe('PlainProgressLines', () => {
  const encoding = (percent: number) =>
    job({ status: 'encoding', progress: { percent, fps: 100, speed: 2, etaSeconds: 1 } });

  it('prints at most one line per second for the same status, but every change of status', () => {
    let now = 0;
    let out = '';
    const lines = new PlainProgressLines({ write: (s: string) => (out += s) }, () => now);
    lines.update(job({ status: 'queued' }));
    now = 100;
    lines.update(job({ status: 'probing' }));
    now = 200;
    lines.update(encoding(10));
    now = 700;
    lines.update(encoding(40));
    now = 1199;
    lines.update(encoding(60));
    now = 1200;
    lines.update(encoding(70));
    now = 1500;
    lines.update(job({ status: 'completed', progress: { percent: 100, fps: 100, speed: 2, etaSeconds: 0 } }));
    expect(out.trimEnd().split('\n')).toEqual([
      'queued 0% | - fps | -x | ETA -:--',
      'probing 0% | - fps | -x | ETA -:--',
      'encoding 10% | 100 fps | 2.0x | ETA 0:01',
      'encoding 70% | 100 fps | 2.0x | ETA 0:01',
    ]);
  });
});

describe('places in line', () => {
  const place = (position: number, etaSeconds: number | null, reason: string | null = null) => ({
    position,
    etaSeconds,
    pool: 'cpu',
    reason,
  });

  it('prints each new place or reason as a line, and a new estimate alone at most once per second', () => {
    let now = 0;
    let out = '';
    const lines = new PlainProgressLines({ write: (s: string) => (out += s) }, () => now);
    lines.showPlace(place(3, 130));
    now = 100;
    lines.showPlace(place(3, 125));
    now = 200;
    lines.showPlace(place(2, 70));
    now = 300;
    lines.showPlace(place(2, 70));
    now = 1300;
    lines.showPlace(place(2, 30));
    now = 1400;
    lines.showPlace(place(2, 30, 'no worker that runs the "av1" pool is online'));
    expect(out.trimEnd().split('\n')).toEqual([
      'queued · 3rd in line · ~2 min',
      'queued · 2nd in line · ~1 min',
      'queued · 2nd in line · ~30 s',
      'queued · 2nd in line · ~30 s · waiting: no worker that runs the "av1" pool is online',
    ]);
  });

  it('holds the terminal line with the place while queued, and gives it to the bar once the job starts', () => {
    let out = '';
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        out += chunk.toString();
        done();
      },
    });
    const bar = new TerminalProgressBar(stream);
    bar.update(job({ status: 'queued' }));
    bar.showPlace(place(2, null));
    bar.update(job({ status: 'queued', seq: 2 }));
    bar.showPlace(place(1, 40));
    expect(out).toBe('\r\u001b[2K queued\r\u001b[2K queued · 2nd in line\r\u001b[2K queued · next in line · ~40 s');
    bar.update(job({ status: 'probing', seq: 3 }));
    // The place line is erased before the bar draws; a late place does not overwrite the bar.
    expect(out).toContain('queued · next in line · ~40 s\r\u001b[2K');
    const before = out.length;
    bar.showPlace(place(1, 10));
    expect(out.slice(before)).not.toContain('in line');
    bar.stop();
  });
});

describe('tables', () => {
  it('pads columns to the widest cell and trims line ends', () => {
    expect(
      renderTable(
        ['A', 'BB'],
        [
          ['long', 'x'],
          ['s', ''],
        ],
      ),
    ).toBe('A     BB\nlong  x\ns\n');
  });

  it('lists completed outputs with their size in the jobs table', () => {
    const done = job({
      id: 'j1',
      status: 'completed',
      progress: { percent: 99.6, fps: null, speed: null, etaSeconds: null },
      outputs: [
        {
          name: 'small',
          preset: 'mp4-360p',
          status: 'completed',
          contentType: 'video/mp4',
          sizeBytes: 85_200,
          durationSeconds: 2,
          width: 480,
          height: 360,
          downloadPath: '/v1/jobs/j1/outputs/small',
        },
      ],
    });
    const [, row] = jobsTable([done]).trimEnd().split('\n');
    expect(row).toBe('j1  completed  100%      2025-01-01 00:00:00Z  small (85.2 kB)');
  });
});
