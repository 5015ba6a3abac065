import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getFreePort, ManagedChild, waitForTcp } from '@kiln/stack';

/** An S3-compatible server for a test, with the environment an app needs to use its bucket. */
export interface S3Handle {
  /** `http://127.0.0.1:<port>`: give it to the SDK as `endpoint` with `forcePathStyle: true`. */
  endpoint: string;
  port: number;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Where the server keeps its objects (a fresh temp dir, removed on stop). */
  directory: string;
  /** KILN_S3_ENDPOINT/BUCKET/REGION/ACCESS_KEY_ID/SECRET_ACCESS_KEY for this server. */
  s3Env(): Record<string, string>;
  /** Stops the server and removes its data. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startS3}. */
export interface StartS3Options {
  /** The bucket created at start (default `kiln-test`). */
  bucket?: string;
  /** Tee the server's request log here with a `[s3rver] ` prefix. */
  tee?: NodeJS.WritableStream;
}

/**
 * A real S3-compatible server on a free loopback port: s3rver (from npm) as a child process with
 * its data in a fresh temp dir and one bucket made at start. A child rather than in-process
 * because s3rver's logger installs process-wide exception handlers. s3rver accepts any access
 * key; the ones given are the S3rver defaults, so clients sign requests as they would for AWS.
 */
export async function startS3(opts: StartS3Options = {}): Promise<S3Handle> {
  const bucket = opts.bucket ?? 'kiln-test';
  const directory = await mkdtemp(path.join(tmpdir(), 'kiln-s3-'));
  const bin = path.join(
    path.dirname(createRequire(import.meta.url).resolve('s3rver/package.json')),
    'bin',
    's3rver.js',
  );
  const port = await getFreePort();
  const args = [
    bin,
    '--directory',
    directory,
    '--address',
    '127.0.0.1',
    '--port',
    String(port),
    '--no-vhost-buckets',
    '--configure-bucket',
    bucket,
  ];
  if (!opts.tee) args.push('--silent');
  const child = new ManagedChild('s3rver', process.execPath, args, opts.tee ? { tee: opts.tee } : {});
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await child.stop({ graceMs: 3000 });
      await rm(directory, { recursive: true, force: true });
    })());
  try {
    await waitForTcp(port, '127.0.0.1', { timeoutMs: 15_000, isAlive: () => child.alive });
  } catch (err) {
    await stop();
    throw new Error(`s3rver did not start: ${(err as Error).message}\n${child.output()}`);
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const handle: S3Handle = {
    endpoint,
    port,
    bucket,
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    directory,
    s3Env: () => ({
      KILN_S3_ENDPOINT: endpoint,
      KILN_S3_BUCKET: bucket,
      KILN_S3_REGION: 'us-east-1',
      KILN_S3_ACCESS_KEY_ID: 'S3RVER',
      KILN_S3_SECRET_ACCESS_KEY: 'S3RVER',
    }),
    stop,
  };
  return handle;
}
