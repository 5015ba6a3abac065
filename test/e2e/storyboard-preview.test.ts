import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Job } from '@kiln/jobs';
import { makeClip, parseStoryboardVtt, readWebpAnimation, waitFor } from '@kiln/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { apiClient, startTestStack, type TestStack } from '../support/stack-harness.js';

describe('storyboard and preview on a real worker, downloaded through the API', () => {
  let stack: TestStack;
  let browser: Browser;
  let job: Job;
  let scratch: string;
  const get = (p: string) =>
    fetch(new URL(p, stack.apiUrl), { headers: { authorization: `Bearer ${stack.customers[0]!.key}` } });
  const output = (name: string) => job.outputs.find((o) => o.name === name)!;

  beforeAll(async () => {
    [stack, browser, scratch] = await Promise.all([
      startTestStack({ customers: ['acme'], workers: 1 }),
      launchChromium(),
      mkdtemp(path.join(tmpdir(), 'kiln-storyboard-e2e-')),
    ]);
    const input = path.join(stack.inputRoot, 'clip.mp4');
    await copyFile(await makeClip({ seconds: 12, width: 1280, height: 720, audio: true }), input);
    const api = apiClient(stack.apiUrl, stack.customers[0]!.key);
    const created = await api<Job>('POST', '/v1/jobs', {
      input: pathToFileURL(input).href,
      outputs: [{ preset: 'storyboard' }, { preset: 'preview' }],
    });
    expect(created.status).toBe(202);
    await waitFor(
      async () => {
        job = (await api<Job>('GET', `/v1/jobs/${created.body.id}`)).body;
        return ['completed', 'failed', 'cancelled'].includes(job.status);
      },
      { timeoutMs: 110_000, intervalMs: 200, message: 'the storyboard and preview job to finish' },
    );
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('completes a storyboard directory (VTT entry file + sprite) and a 5 s preview', () => {
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    expect(output('storyboard')).toMatchObject({
      status: 'completed',
      contentType: 'text/vtt',
      width: 256,
      height: 144,
      durationSeconds: null,
      downloadPath: `/v1/jobs/${job.id}/outputs/storyboard/storyboard.vtt`,
    });
    expect(
      output('storyboard')
        .files!.map((f) => f.path)
        .sort(),
    ).toEqual(['storyboard.jpg', 'storyboard.vtt']);
    expect(output('preview')).toMatchObject({
      status: 'completed',
      contentType: 'image/webp',
      width: 320,
      height: 180,
      durationSeconds: 5,
      downloadPath: `/v1/jobs/${job.id}/outputs/preview`,
    });
  });

  it('serves the VTT as text/vtt and the sprite it names as image/jpeg, every cue inside the sprite', async () => {
    const vttPath = output('storyboard').downloadPath!;
    const vttRes = await get(vttPath);
    expect(vttRes.status).toBe(200);
    expect(vttRes.headers.get('content-type')).toBe('text/vtt; charset=utf-8');
    const cues = parseStoryboardVtt(await vttRes.text());
    // 12 s, a tile every 2 s.
    expect(cues.map((c) => [c.startMs, c.endMs])).toEqual(
      Array.from({ length: 6 }, (_, i) => [i * 2000, (i + 1) * 2000]),
    );
    // The cue's image resolves against the VTT's URL, as a player resolves it.
    const spriteUrl = new URL(cues[0]!.file, new URL(vttPath, stack.apiUrl));
    const spriteRes = await get(spriteUrl.pathname);
    expect(spriteRes.status).toBe(200);
    expect(spriteRes.headers.get('content-type')).toBe('image/jpeg');
    const sprite = Buffer.from(await spriteRes.arrayBuffer());
    expect(sprite.length).toBe(output('storyboard').files!.find((f) => f.path === 'storyboard.jpg')!.sizeBytes);
    const { width, height } = await imageSize(sprite, 'image/jpeg');
    expect({ width, height }).toEqual({ width: 6 * 256, height: 144 });
    for (const c of cues) {
      expect(c.x + c.w).toBeLessThanOrEqual(width);
      expect(c.y + c.h).toBeLessThanOrEqual(height);
    }
  });

  it('serves the preview as image/webp: a looping animation of 60 frames that Chromium shows at 320x180', async () => {
    const res = await get(output('preview').downloadPath!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/webp');
    const bytes = Buffer.from(await res.arrayBuffer());
    const file = path.join(scratch, 'preview.webp');
    await writeFile(file, bytes);
    const webp = await readWebpAnimation(file);
    expect(webp).toMatchObject({ width: 320, height: 180, animated: true, loopCount: 0 });
    expect(webp.frameDurationsMs).toHaveLength(60);
    expect(await imageSize(bytes, 'image/webp')).toEqual({ width: 320, height: 180 });
  });

  it('plays both from signed URLs without a key: the VTT, the sprite it names, and the preview in an <img>', async () => {
    const api = apiClient(stack.apiUrl, stack.customers[0]!.key);
    const signed = async (name: string) => {
      const res = await api<{ url: string }>('POST', `/v1/jobs/${job.id}/outputs/${name}/url`, {});
      expect(res.status).toBe(200);
      return res.body.url;
    };
    const vttUrl = await signed('storyboard');
    expect(new URL(vttUrl).pathname).toMatch(/\/storyboard\.vtt$/);
    const vtt = await fetch(vttUrl);
    expect(vtt.status).toBe(200);
    expect(vtt.headers.get('content-type')).toBe('text/vtt; charset=utf-8');
    const [cue] = parseStoryboardVtt(await vtt.text());
    const sprite = await fetch(new URL(cue!.file, vttUrl));
    expect(sprite.status).toBe(200);
    expect(sprite.headers.get('content-type')).toBe('image/jpeg');
    const previewUrl = await signed('preview');
    const page = await browser.newPage();
    try {
      await page.setContent(`<img id="i" src="${previewUrl}">`);
      await page.waitForFunction(() => (document.getElementById('i') as HTMLImageElement).complete);
      expect(
        await page.evaluate(() => {
          const img = document.getElementById('i') as HTMLImageElement;
          return { width: img.naturalWidth, height: img.naturalHeight };
        }),
      ).toEqual({ width: 320, height: 180 });
    } finally {
      await page.close();
    }
  });

  /** The size Chromium decodes an image of these bytes to (an `<img>` from a data: URL). */
  async function imageSize(bytes: Buffer, type: string): Promise<{ width: number; height: number }> {
    const page = await browser.newPage();
    try {
      await page.setContent(`<img id="i" src="data:${type};base64,${bytes.toString('base64')}">`);
      await page.waitForFunction(() => (document.getElementById('i') as HTMLImageElement).complete);
      return await page.evaluate(() => {
        const img = document.getElementById('i') as HTMLImageElement;
        return { width: img.naturalWidth, height: img.naturalHeight };
      });
    } finally {
      await page.close();
    }
  }
});
