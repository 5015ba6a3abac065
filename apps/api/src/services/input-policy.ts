import { INPUT_FILE_REFUSED, InputRoots } from '@kiln/config';
import { fileURLToPath } from 'node:url';
import type { FieldIssue } from '../http.errors.js';
import { isUploadInput, parseUploadInput } from '@kiln/storage';

/** What the policy needs to know about uploads: whether one exists for a customer. */
export interface UploadLookup {
  exists(customerId: string, uploadId: string): Promise<boolean>;
}

const MAX_URL_LENGTH = 2048;

/**
 * The API's early check of a job's input, so a customer gets a 400 naming the field instead of a
 * failed job. The worker checks again (file:// after resolving links, http(s):// against private
 * addresses when it connects); this is the lexical check plus "does this upload exist". A
 * `file://` path is judged on its text alone against the customer's own and the shared roots
 * (the API may not even see the worker's disks): every refusal is the same answer, whether or not
 * the file exists.
 */
export class InputPolicy {
  private readonly roots: InputRoots;

  constructor(
    roots: InputRoots | readonly string[],
    private readonly uploads: UploadLookup,
  ) {
    this.roots = InputRoots.from(roots);
  }

  /** Problems with `input` for this customer, or an empty list when it may be queued. */
  async check(input: string, customerId: string): Promise<FieldIssue[]> {
    if (isUploadInput(input)) return this.checkUpload(input, customerId);
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      return issue('not a valid URL');
    }
    if (url.protocol === 'file:') return this.checkFile(url, customerId);
    if (url.protocol === 'http:' || url.protocol === 'https:') return checkHttp(input, url);
    return issue(`unsupported scheme ${url.protocol.replace(':', '')}; use http(s)://, upload:// or file://`);
  }

  private async checkUpload(input: string, customerId: string): Promise<FieldIssue[]> {
    const id = parseUploadInput(input);
    if (id === undefined) return issue('not an upload id: use the "input" that POST /v1/uploads returned');
    if (!(await this.uploads.exists(customerId, id))) return issue(`no upload ${id} for this customer`);
    return [];
  }

  private checkFile(url: URL, customerId: string): FieldIssue[] {
    if (this.roots.isEmpty) return issue('file:// inputs are disabled on this server (KILN_INPUT_ROOTS is empty)');
    let file: string;
    try {
      file = fileURLToPath(url);
    } catch {
      return issue(INPUT_FILE_REFUSED);
    }
    return this.roots.allowsPath(customerId, file) ? [] : issue(INPUT_FILE_REFUSED);
  }
}

/** Syntax only: where the URL points is checked by the worker when it connects (SSRF rules). */
function checkHttp(input: string, url: URL): FieldIssue[] {
  if (input.length > MAX_URL_LENGTH) return issue(`URL is longer than ${MAX_URL_LENGTH} characters`);
  if (url.username !== '' || url.password !== '') return issue('URL must not contain credentials (user:password@)');
  if (url.hostname === '') return issue('URL has no host');
  return [];
}

function issue(message: string): FieldIssue[] {
  return [{ path: 'input', message }];
}
