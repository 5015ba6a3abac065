import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import { jobsTable } from './commands/jobs.command.js';
import { job, memoryIo, startFakeApi, type SeenRequest } from './fake-api.test-helper.js';

describe('runCli', () => {
  let api: Awaited<ReturnType<typeof startFakeApi>>;
  let dir: string;
  const env = () => ({ KILN_API_URL: api.url, KILN_API_KEY: 'env-key' });
  const jobRequests = () => api.requests.filter((r) => r.path.startsWith('/v1/jobs'));
  const bodyOf = (r: SeenRequest | undefined) => JSON.parse(r?.body.toString() ?? 'null') as unknown;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kiln-cli-spec-'));
    api = await startFakeApi({
      'POST /v1/uploads': (req) => ({
        status: 201,
        body: { id: 'up_1', sizeBytes: req.body.length, input: 'upload://up_1' },
      }),
      'POST /v1/jobs': (req) => {
        const body = JSON.parse(req.body.toString()) as { input: string; outputs: { preset: string; name?: string }[] };
        if (body.outputs.some((o) => o.preset === 'nope')) {
          return {
            status: 400,
            body: {
              error: {
                code: 'invalid_request',
                message: 'the request is invalid',
                fields: [{ path: 'outputs.0.preset', message: 'unknown preset; use one of: mp4-360p' }],
              },
            },
          };
        }
        return { status: 202, body: job({ id: 'job_new', input: body.input }) };
      },
      'GET /v1/jobs': () => ({
        status: 200,
        body: {
          data: [
            job({ id: 'job_a', status: 'completed', progress: { percent: 100, fps: 90, speed: 3, etaSeconds: 0 } }),
            job({ id: 'job_b', status: 'encoding', progress: { percent: 42.7, fps: 90, speed: 3, etaSeconds: 2 } }),
          ],
          nextCursor: 'c2',
        },
      }),
      'POST /v1/jobs/:id/cancel': () => ({
        status: 409,
        body: {
          error: { code: 'conflict', message: 'job is completed; only queued or running jobs can be cancelled' },
        },
      }),
      'PATCH /v1/jobs/:id': (req) => {
        const { priority } = JSON.parse(req.body.toString()) as { priority: 'high' | 'normal' | 'low' };
        if (req.path === '/v1/jobs/job_running')
          return {
            status: 409,
            body: { error: { code: 'conflict', message: "job is encoding; only a queued job's priority can change" } },
          };
        return {
          status: 200,
          body: job({
            id: 'job_q',
            priority,
            queue: { position: 2, etaSeconds: 90, pool: 'cpu', reason: null },
          }),
        };
      },
      'GET /v1/usage': () => ({
        status: 200,
        body: {
          customerId: 'acme',
          running: { used: 1, limit: 2 },
          queued: { used: 5, limit: 1000 },
          storedBytes: { used: 1_500_000, limit: null },
        },
      }),
      'GET /v1/presets': () => ({
        status: 200,
        body: {
          data: [
            { id: 'mp4-360p', kind: 'mp4', pool: 'cpu', description: 'H.264 360p' },
            { id: 'mp4-av1-720p', kind: 'mp4', pool: 'av1', description: 'AV1 720p' },
          ],
        },
      }),
    });
  });

  afterAll(async () => {
    await api?.close();
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    api.requests.length = 0;
  });

  describe('global options', () => {
    it('refuses to run without a key, naming the flag and the variable, before any request', async () => {
      const io = memoryIo({ KILN_API_URL: api.url });
      expect(await runCli(['jobs'], io)).toBe(2);
      expect(io.err()).toMatch(/--key/);
      expect(io.err()).toMatch(/KILN_API_KEY/);
      expect(api.requests).toHaveLength(0);
    });

    it('takes the key and URL from the environment, and lets the flags win over it', async () => {
      const io = memoryIo(env());
      expect(await runCli(['jobs'], io)).toBe(0);
      expect(api.requests[0]?.headers.authorization).toBe('Bearer env-key');
      const io2 = memoryIo({ KILN_API_URL: 'http://127.0.0.1:1', KILN_API_KEY: 'env-key' });
      expect(await runCli(['jobs', '--key', 'flag-key', '--api-url', api.url], io2)).toBe(0);
      expect(api.requests[1]?.headers.authorization).toBe('Bearer flag-key');
    });

    it('accepts global options before the command too', async () => {
      expect(await runCli(['--api-url', api.url, '--key', 'k', 'presets'], memoryIo())).toBe(0);
      expect(api.requests.map((r) => r.path)).toEqual(['/v1/presets']);
    });

    it('is a usage error (2) for an API URL that is not http(s)', async () => {
      const io = memoryIo({ KILN_API_KEY: 'k', KILN_API_URL: 'ftp://somewhere' });
      expect(await runCli(['jobs'], io)).toBe(2);
      expect(io.err()).toMatch(/KILN_API_URL/);
    });

    it('exits 2 for an unknown command or option, 0 for --help', async () => {
      expect(await runCli(['frobnicate'], memoryIo(env()))).toBe(2);
      expect(await runCli(['jobs', '--bogus'], memoryIo(env()))).toBe(2);
      const help = memoryIo(env());
      expect(await runCli(['--help'], help)).toBe(0);
      expect(help.out()).toMatch(/submit/);
    });
  });

  describe('submit', () => {
    it('passes a file:// URL through unchanged and sends one output per --preset', async () => {
      const io = memoryIo(env());
      const input = 'file:///srv/in%20box/clip.mp4';
      expect(await runCli(['submit', input, '--preset', 'mp4-360p', '--preset', 'mp4-720p'], io)).toBe(0);
      expect(bodyOf(jobRequests()[0])).toEqual({ input, outputs: [{ preset: 'mp4-360p' }, { preset: 'mp4-720p' }] });
      expect(io.out()).toBe('job_new\n');
      expect(api.requests.some((r) => r.path === '/v1/uploads')).toBe(false);
    });

    it('passes http(s) URLs through and names the output with --name', async () => {
      expect(
        await runCli(
          ['submit', 'https://cdn.example.com/a.mov?x=1', '--preset', 'mp4-360p', '--name', 'small'],
          memoryIo(env()),
        ),
      ).toBe(0);
      expect(bodyOf(jobRequests()[0])).toEqual({
        input: 'https://cdn.example.com/a.mov?x=1',
        outputs: [{ preset: 'mp4-360p', name: 'small' }],
      });
    });

    it('uploads a local file as the raw body, then creates the job from the upload', async () => {
      const file = path.join(dir, 'clip.mp4');
      const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
      await writeFile(file, bytes);
      const io = memoryIo(env(), { cwd: dir });
      expect(await runCli(['submit', 'clip.mp4', '--preset', 'mp4-360p'], io)).toBe(0);
      const upload = api.requests.find((r) => r.path === '/v1/uploads');
      expect(upload?.method).toBe('POST');
      expect(upload?.headers['content-type']).toBe('application/octet-stream');
      expect(upload?.headers.authorization).toBe('Bearer env-key');
      expect(upload?.body.equals(bytes)).toBe(true);
      expect(bodyOf(jobRequests()[0])).toMatchObject({ input: 'upload://up_1' });
      expect(io.out()).toBe('job_new\n');
    });

    it("shows the API's refusal of a too-large upload, answered before the body was sent", async () => {
      const file = path.join(dir, 'big.bin');
      await writeFile(file, Buffer.alloc(16_000_000, 7));
      const refusing = http.createServer((_req, res) => {
        res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
        res.end(
          JSON.stringify({
            error: {
              code: 'payload_too_large',
              message: 'the upload is larger than KILN_MAX_UPLOAD_BYTES (1000 bytes)',
            },
          }),
        );
      });
      await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
      try {
        const io = memoryIo(
          { KILN_API_URL: `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`, KILN_API_KEY: 'k' },
          { cwd: dir },
        );
        expect(await runCli(['submit', 'big.bin', '--preset', 'mp4-360p'], io)).toBe(1);
        expect(io.err()).toContain(
          'the upload is larger than KILN_MAX_UPLOAD_BYTES (1000 bytes) (HTTP 413 payload_too_large)',
        );
      } finally {
        await new Promise((resolve) => refusing.close(resolve));
      }
    });

    it('prints the created job as one JSON document with --json', async () => {
      const io = memoryIo(env());
      expect(await runCli(['--json', 'submit', 'https://x.test/a.mp4', '--preset', 'mp4-360p'], io)).toBe(0);
      expect(JSON.parse(io.out())).toMatchObject({ id: 'job_new', status: 'queued' });
    });

    it.each([
      [['submit', 'https://x.test/a.mp4'], /--preset/],
      [['submit', 'https://x.test/a.mp4', '--preset', 'a', '--preset', 'b', '--name', 'n'], /--name/],
      [['submit', 'ftp://x.test/a.mp4', '--preset', 'a'], /ftp:\/\//],
      [['submit', 'no-such-file.mp4', '--preset', 'a'], /no such file/],
      [['submit'], /missing required argument/],
    ])('is a usage error (2) without a request: %j', async (argv, message) => {
      const io = memoryIo(env());
      expect(await runCli(argv, io)).toBe(2);
      expect(io.err()).toMatch(message);
      expect(api.requests).toHaveLength(0);
    });

    it("prints the API's message and the field path, and exits 1, when the API refuses the job", async () => {
      const io = memoryIo(env());
      expect(await runCli(['submit', 'https://x.test/a.mp4', '--preset', 'nope'], io)).toBe(1);
      expect(io.err()).toContain('the request is invalid');
      expect(io.err()).toContain('outputs.0.preset: unknown preset; use one of: mp4-360p');
      expect(io.out()).toBe('');
    });
  });

  describe('presets', () => {
    it('prints a table with id, kind, pool and description', async () => {
      const io = memoryIo(env());
      expect(await runCli(['presets'], io)).toBe(0);
      expect(io.out().trimEnd().split('\n')).toEqual([
        expect.stringMatching(/^ID\s+KIND\s+POOL\s+DESCRIPTION$/),
        expect.stringMatching(/^mp4-360p\s+mp4\s+cpu\s+H\.264 360p$/),
        expect.stringMatching(/^mp4-av1-720p\s+mp4\s+av1\s+AV1 720p$/),
      ]);
    });
  });

  describe('jobs', () => {
    it('prints a table with id, status, progress, created and outputs', async () => {
      const io = memoryIo(env());
      expect(await runCli(['jobs'], io)).toBe(0);
      const lines = io.out().trimEnd().split('\n');
      expect(lines[0]).toMatch(/^ID\s+STATUS\s+PROGRESS\s+CREATED\s+OUTPUTS$/);
      expect(lines[1]).toMatch(/^job_a\s+completed\s+100%\s+2025-01-01 00:00:00Z\s+mp4-360p$/);
      expect(lines[2]).toMatch(/^job_b\s+encoding\s+42%/);
      expect(io.err()).toContain('kiln jobs --cursor c2');
    });

    it('adds an IN LINE column with the place of queued jobs when the page has any', () => {
      const lines = jobsTable([
        job({ id: 'job_q', queue: { position: 3, etaSeconds: 130, pool: 'cpu', reason: null } }),
        job({ id: 'job_r', status: 'encoding' }),
      ])
        .trimEnd()
        .split('\n');
      expect(lines[0]).toMatch(/^ID\s+STATUS\s+PROGRESS\s+CREATED\s+OUTPUTS\s+IN LINE$/);
      expect(lines[1]).toMatch(/^job_q\s+queued\s+0%.*\s3rd in line · ~2 min$/);
      expect(lines[2]).toMatch(/^job_r\s+encoding\s+0%\s+\S+ \S+\s+mp4-360p$/);
    });

    it('sends --status and --limit as query parameters and prints the page as JSON with --json', async () => {
      const io = memoryIo(env());
      expect(await runCli(['jobs', '--status', 'failed', '--limit', '5', '--json'], io)).toBe(0);
      expect(Object.fromEntries(api.requests[0]!.query)).toEqual({ status: 'failed', limit: '5' });
      const page = JSON.parse(io.out()) as { data: { id: string }[]; nextCursor: string };
      expect(page.data.map((j) => j.id)).toEqual(['job_a', 'job_b']);
      expect(page.nextCursor).toBe('c2');
    });

    it.each([
      [['jobs', '--limit', '0']],
      [['jobs', '--limit', '101']],
      [['jobs', '--limit', '2.5']],
      [['jobs', '--status', 'done']],
    ])('refuses %j as a usage error', async (argv) => {
      const io = memoryIo(env());
      expect(await runCli(argv, io)).toBe(2);
      expect(io.err()).toMatch(/invalid/);
      expect(api.requests).toHaveLength(0);
    });
  });

  describe('priority', () => {
    it('sends the new priority with PATCH and prints it with the place in line', async () => {
      const io = memoryIo(env());
      expect(await runCli(['priority', 'job_q', 'high'], io)).toBe(0);
      expect(jobRequests().map((r) => `${r.method} ${r.path}`)).toEqual(['PATCH /v1/jobs/job_q']);
      expect(bodyOf(jobRequests()[0])).toEqual({ priority: 'high' });
      expect(io.out()).toBe('Job job_q priority high (2nd in line · ~2 min)\n');
    });

    it('refuses a priority that is not high, normal or low before any request', async () => {
      const io = memoryIo(env());
      expect(await runCli(['priority', 'job_q', 'urgent'], io)).toBe(2);
      expect(io.err()).toMatch(/high, normal, low/);
      expect(api.requests).toHaveLength(0);
    });

    it("exits 1 with the API's message when the job already left the line", async () => {
      const io = memoryIo(env());
      expect(await runCli(['priority', 'job_running', 'low'], io)).toBe(1);
      expect(io.err()).toContain("only a queued job's priority can change");
    });
  });

  describe('usage', () => {
    it('prints each limit with what is used of it, sizes readable and exact, none for no limit', async () => {
      const io = memoryIo(env());
      expect(await runCli(['usage'], io)).toBe(0);
      expect(api.requests.map((r) => `${r.method} ${r.path} ${r.headers.authorization}`)).toEqual([
        'GET /v1/usage Bearer env-key',
      ]);
      const lines = io.out().trimEnd().split('\n');
      expect(lines[0]).toMatch(/^USAGE\s+USED\s+LIMIT$/);
      expect(lines[1]).toMatch(/^running jobs\s+1\s+2$/);
      expect(lines[2]).toMatch(/^queued jobs\s+5\s+1000$/);
      expect(lines[3]).toMatch(/^stored bytes\s+1\.5 MB \(1500000\)\s+none$/);
    });

    it("prints the API's usage as one JSON document with --json", async () => {
      const io = memoryIo(env());
      expect(await runCli(['usage', '--json'], io)).toBe(0);
      expect(JSON.parse(io.out())).toEqual({
        customerId: 'acme',
        running: { used: 1, limit: 2 },
        queued: { used: 5, limit: 1000 },
        storedBytes: { used: 1_500_000, limit: null },
      });
    });
  });

  describe('cancel', () => {
    it('exits 1 with the 409 message for a finished job, and prints a JSON error document with --json', async () => {
      const io = memoryIo(env());
      expect(await runCli(['cancel', 'job_a'], io)).toBe(1);
      expect(io.err()).toContain('job is completed; only queued or running jobs can be cancelled');
      expect(io.err()).toContain('HTTP 409');
      const json = memoryIo(env());
      expect(await runCli(['cancel', 'job_a', '--json'], json)).toBe(1);
      expect(JSON.parse(json.out())).toEqual({
        error: {
          status: 409,
          code: 'conflict',
          message: 'job is completed; only queued or running jobs can be cancelled',
        },
      });
    });
  });

  it('names the URL when the API cannot be reached, and exits 1', async () => {
    const io = memoryIo({ KILN_API_KEY: 'k', KILN_API_URL: 'http://127.0.0.1:9' });
    expect(await runCli(['presets'], io)).toBe(1);
    expect(io.err()).toMatch(/could not reach the API at http:\/\/127\.0\.0\.1:9/);
  });
});
