import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** test/bench/results/latest.json, whatever directory the compiled bench runs from. */
export const RESULTS_FILE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'bench',
  'results',
  'latest.json',
);

/** Merges one section into latest.json, keeping the other sections' last figures. */
export async function writeSection(section: string, figures: unknown): Promise<void> {
  await mkdir(path.dirname(RESULTS_FILE), { recursive: true });
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(await readFile(RESULTS_FILE, 'utf8')) as Record<string, unknown>;
  } catch {
    // first run
  }
  all[section] = figures;
  all.machine = {
    cores: (await import('node:os')).availableParallelism(),
    node: process.version,
    at: new Date().toISOString(),
  };
  await writeFile(RESULTS_FILE, JSON.stringify(all, null, 2) + '\n');
}

/** Prints rows as an aligned text table. */
export function printTable(title: string, rows: Record<string, string | number | boolean>[]): void {
  const cols = Object.keys(rows[0] ?? {});
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(width[i]!)).join('  ');
  process.stdout.write(`\n${title}\n${line(cols)}\n${line(width.map((w) => '-'.repeat(w)))}\n`);
  for (const r of rows) process.stdout.write(line(cols.map((c) => String(r[c]))) + '\n');
}
