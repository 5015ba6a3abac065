import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { getPreset, outputDownloadPath, type Job, type JobOutput } from '@kiln/jobs';
import type { OutputStorage } from '@kiln/storage';
import request from 'supertest';
import { expect } from 'vitest';
import { bearer, type ApiHarness } from './api-harness.js';

/**
 * A directory output shaped like what players meet: a master with an MPEG-TS rendition, an fMP4
 * rendition (init section in `EXT-X-MAP`) and WebVTT subtitles (`EXT-X-MEDIA URI=`), every
 * playlist naming its files relative to itself, one of them one folder up.
 */
export const HLS_FILES: Record<string, string> = {
  'master.m3u8':
    '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",URI="subs/en.m3u8"\n#EXT-X-STREAM-INF:BANDWIDTH=900000,RESOLUTION=640x360,SUBTITLES="subs"\nv0/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=1500000,RESOLUTION=854x480,SUBTITLES="subs"\nv1/index.m3u8\n',
  'v0/index.m3u8':
    '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\nseg_000.ts\n#EXTINF:4.0,\nseg_001.ts\n#EXT-X-ENDLIST\n',
  'v0/seg_000.ts': 'G'.repeat(1880),
  'v0/seg_001.ts': 'H'.repeat(940),
  'v1/index.m3u8':
    '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:4.0,\nseg_000.m4s\n#EXTINF:4.0,\n../v1/seg_001.m4s\n#EXT-X-ENDLIST\n',
  'v1/init.mp4': 'ftyp-moov',
  'v1/seg_000.m4s': 'moof-mdat-0',
  'v1/seg_001.m4s': 'moof-mdat-1',
  'subs/en.m3u8': '#EXTM3U\n#EXT-X-TARGETDURATION:8\n#EXTINF:8.0,\nen_000.vtt\n#EXT-X-ENDLIST\n',
  'subs/en_000.vtt': 'WEBVTT\n\n00:00.000 --> 00:02.000\nhello\n',
};
export const THUMB_FILES: Record<string, string> = { 'thumb-01.jpg': '\xff\xd8one', 'thumb-02.jpg': '\xff\xd8two' };

/** Writes `files` into a scratch folder and stores it as the directory output `name` of a job. */
async function storeDir(storage: OutputStorage, job: Job, name: string, files: Record<string, string>) {
  const out = await storage.scratch({ customerId: job.customerId, jobId: job.id, name }, { directory: true });
  for (const [rel, body] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(out.path, rel)), { recursive: true });
    await writeFile(path.join(out.path, rel), body, 'latin1');
  }
  return (await out.commit()).files;
}

/** A job created through the API and finished the way a worker leaves it: hls, thumbnails and an mp4, stored in `storage`. */
export async function finishedJob(harness: ApiHarness, storage: OutputStorage): Promise<Job> {
  const created = await request(harness.app)
    .post('/v1/jobs')
    .set(bearer())
    .send({
      input: `file://${harness.inputRoot}/a.mp4`,
      outputs: [{ preset: 'hls' }, { preset: 'thumbnails' }, { preset: 'mp4-360p' }],
    });
  expect(created.status).toBe(202);
  const job = created.body as Job;
  const mp4 = await storage.scratch({ customerId: job.customerId, jobId: job.id, name: 'mp4-360p.mp4' });
  await writeFile(mp4.path, 'not really a video');
  const stored: Record<string, Partial<JobOutput>> = {
    hls: { files: await storeDir(storage, job, 'hls', HLS_FILES) },
    thumbnails: { files: await storeDir(storage, job, 'thumbnails', THUMB_FILES) },
    'mp4-360p': await mp4.commit(),
  };
  const outputs = job.outputs.map((o) => ({
    ...o,
    ...stored[o.name],
    status: 'completed' as const,
    downloadPath: outputDownloadPath(job.id, o, getPreset(o.preset)!),
  }));
  const res = await harness.repo.update(job.id, {
    status: 'completed',
    outputs,
    finishedAt: new Date().toISOString(),
  });
  if (!res.ok) throw new Error(`could not finish job ${job.id}`);
  return res.job;
}
