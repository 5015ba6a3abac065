import { INPUT_FILE_REFUSED, InputRoots, isCustomerId, isInside } from '@kiln/config';
import { isUploadInput, parseUploadInput, uploadKey, uploadPath } from '@kiln/storage';
import { constants, type Stats } from 'node:fs';
import { access, lstat, realpath, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AddressPolicy } from './address-policy.js';
import { HttpInputDownloader } from './http-input.downloader.js';
import { InputCancelledError, InputError } from './input.errors.js';

export { InputCancelledError, InputError, InputUnavailableError } from './input.errors.js';

/** What the resolver needs to know about the job whose input it fetches. */
export interface ResolveContext {
  customerId: string;
  jobId: string;
  /** An empty directory the caller created and removes afterwards; downloads land here. */
  workDir: string;
  /** Cancels a download in progress (job cancelled, worker shutting down). */
  signal?: AbortSignal | undefined;
}

/** A local, readable, non-empty regular file holding the job's input. */
export interface ResolvedInput {
  path: string;
  /** Removes what resolving created (a download); a no-op for files that belong to someone else. */
  cleanup(): Promise<void>;
}

export interface InputResolverOptions {
  /**
   * Directories `file://` inputs may come from (KILN_INPUT_ROOTS), per customer plus shared ones;
   * a plain list means shared roots. Empty refuses `file://`.
   */
  roots: InputRoots | readonly string[];
  /** KILN_STORAGE_DIR: `upload://<id>` is `<dir>/uploads/<customerId>/<id>`. */
  storageDir: string;
  /** KILN_MAX_INPUT_BYTES: largest `http(s)://` input accepted. */
  maxInputBytes: number;
  /** KILN_INPUT_TIMEOUT_S in ms: connect/headers limit and idle limit of a download. */
  timeoutMs: number;
  /** KILN_INPUT_ALLOW_HOSTS: host names, IPs and CIDRs a download may reach although private. */
  allowHosts?: readonly string[];
  /**
   * With S3 storage (KILN_S3_BUCKET), uploads live in the bucket under
   * `uploads/<customerId>/<id>` and are downloaded into the job's work directory; without it they
   * are read in place under `storageDir`.
   */
  remoteUploads?: RemoteUploads | undefined;
}

/** Where uploads are when they are not on this machine's disk (an S3 bucket). */
export interface RemoteUploads {
  /** Copies `key` to the new file `dest`; its size, or null when there is no such object. */
  download(key: string, dest: string, signal?: AbortSignal): Promise<number | null>;
}

const EXTENSION = /\.[A-Za-z0-9]{1,10}$/;
const noop = async (): Promise<void> => undefined;

/**
 * Turns a job's `input` into a local file the worker may read:
 * - `file://` paths only under the configured roots, checked after resolving `..` and symbolic
 *   links so a link cannot lead out;
 * - `upload://<uuid>`: a file the job's own customer uploaded;
 * - `http(s)://` URLs, downloaded into the job's work directory with SSRF protection and limits.
 * Bad input throws {@link InputError} (the job fails at once); network trouble throws a plain
 * error so the job is retried.
 */
export class InputResolver {
  private readonly downloader: HttpInputDownloader;
  private readonly roots: InputRoots;

  constructor(private readonly opts: InputResolverOptions) {
    this.roots = InputRoots.from(opts.roots);
    this.downloader = new HttpInputDownloader({
      policy: new AddressPolicy(opts.allowHosts ?? []),
      maxBytes: opts.maxInputBytes,
      timeoutMs: opts.timeoutMs,
    });
  }

  async resolve(input: string, ctx: ResolveContext): Promise<ResolvedInput> {
    if (isUploadInput(input))
      return this.opts.remoteUploads
        ? this.remoteUpload(input, ctx, this.opts.remoteUploads)
        : { path: await this.upload(input, ctx.customerId), cleanup: noop };
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      throw new InputError('invalid_input', 'input is not a valid URL');
    }
    if (url.protocol === 'file:') return { path: await this.file(url, ctx.customerId), cleanup: noop };
    if (url.protocol === 'http:' || url.protocol === 'https:') return this.download(url, ctx);
    throw new InputError('unsupported_input', `inputs with scheme ${url.protocol} are not supported by this worker`);
  }

  /**
   * A `file://` input of this customer, or {@link INPUT_FILE_REFUSED} as `input_forbidden` for
   * every way it can be refused (outside the customer's roots, missing, unreadable, a link leading
   * out), so a job's error never tells whether a file exists where its customer may not look. The
   * path is judged on its text first, touching nothing on disk for a path outside the roots; only
   * then are links resolved and the real file checked against the real roots.
   */
  private async file(url: URL, customerId: string): Promise<string> {
    const refused = () => new InputError('input_forbidden', INPUT_FILE_REFUSED);
    let lexical: string;
    try {
      lexical = path.resolve(fileURLToPath(url));
    } catch {
      throw refused();
    }
    if (!this.roots.allowsPath(customerId, lexical)) throw refused();
    let real: string;
    try {
      real = await realpath(lexical);
      await access(real, constants.R_OK);
    } catch {
      throw refused();
    }
    const roots = await Promise.all(
      this.roots.rootsFor(customerId).map((r) => realpath(path.resolve(r)).catch(() => undefined)),
    );
    if (!roots.some((root) => root !== undefined && isInside(root, real))) throw refused();
    assertUsableFile(await stat(real), 'input file');
    return real;
  }

  /** The upload's id, checked, with the customer id it may be read for. */
  private uploadId(input: string, customerId: string): string {
    const id = parseUploadInput(input);
    if (!id)
      throw new InputError(
        'invalid_input',
        'an upload input must be upload://<upload id> with the id returned by POST /v1/uploads',
      );
    // The id comes from the job record; still, never let it build a path outside the uploads tree.
    if (!isCustomerId(customerId)) throw new InputError('input_forbidden', 'the job has an invalid customer id');
    return id;
  }

  private async remoteUpload(input: string, ctx: ResolveContext, remote: RemoteUploads): Promise<ResolvedInput> {
    const id = this.uploadId(input, ctx.customerId);
    const dest = path.join(ctx.workDir, 'input');
    const cleanup = () => rm(dest, { force: true });
    let bytes: number | null;
    try {
      bytes = await remote.download(uploadKey(ctx.customerId, id), dest, ctx.signal);
    } catch (err) {
      await cleanup();
      if (ctx.signal?.aborted) throw new InputCancelledError();
      throw err;
    }
    if (bytes === null) throw new InputError('input_not_found', `upload ${id} does not exist for this customer`);
    if (bytes === 0) {
      await cleanup();
      throw new InputError('invalid_input', `upload ${id} is empty (0 bytes)`);
    }
    return { path: dest, cleanup };
  }

  private async upload(input: string, customerId: string): Promise<string> {
    const id = this.uploadId(input, customerId);
    const file = uploadPath(this.opts.storageDir, customerId, id);
    let info: Stats;
    try {
      // lstat: a link planted in the uploads tree is not followed.
      info = await lstat(file);
    } catch {
      throw new InputError('input_not_found', `upload ${id} does not exist for this customer`);
    }
    assertUsableFile(info, `upload ${id}`);
    return file;
  }

  private async download(url: URL, ctx: ResolveContext): Promise<ResolvedInput> {
    const ext = EXTENSION.exec(path.posix.basename(url.pathname))?.[0] ?? '';
    const dest = path.join(ctx.workDir, `input${ext.toLowerCase()}`);
    const cleanup = () => rm(dest, { force: true });
    try {
      const bytes = await this.downloader.download(url, dest, ctx.signal);
      if (bytes === 0) throw new InputError('invalid_input', 'the downloaded input is empty (0 bytes)');
    } catch (err) {
      await cleanup();
      throw err;
    }
    return { path: dest, cleanup };
  }
}

function assertUsableFile(info: Stats, what: string): void {
  if (!info.isFile()) throw new InputError('invalid_input', `${what} is not a regular file`);
  if (info.size === 0) throw new InputError('invalid_input', `${what} is empty (0 bytes)`);
}
