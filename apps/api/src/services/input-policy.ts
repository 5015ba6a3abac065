import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FieldIssue } from '../errors.js';
import { UPLOAD_ID_PATTERN } from './upload-storage.adapter.js';

/** What the policy needs to know about uploads: whether one exists for a customer. */
export interface UploadLookup {
  exists(customerId: string, uploadId: string): Promise<boolean>;
}

const UPLOAD_INPUT = /^upload:\/\/(.*)$/i;
const MAX_URL_LENGTH = 2048;

/**
 * The API's early check of a job's input, so a customer gets a 400 naming the field instead of a
 * failed job. The worker checks again (file:// after resolving links, http(s):// against private
 * addresses when it connects); this is the lexical check plus "does this upload exist".
 */
export class InputPolicy {
  private readonly roots: string[];

  constructor(
    roots: string[],
    private readonly uploads: UploadLookup,
  ) {
    this.roots = roots.map((r) => path.resolve(r));
  }

  /** Problems with `input` for this customer, or an empty list when it may be queued. */
  async check(input: string, customerId: string): Promise<FieldIssue[]> {
    const upload = UPLOAD_INPUT.exec(input);
    if (upload) return this.checkUpload(upload[1]!, customerId);
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      return issue('not a valid URL');
    }
    if (url.protocol === 'file:') return this.checkFile(url);
    if (url.protocol === 'http:' || url.protocol === 'https:') return checkHttp(input, url);
    return issue(`unsupported scheme ${url.protocol.replace(':', '')}; use http(s)://, upload:// or file://`);
  }

  private async checkUpload(id: string, customerId: string): Promise<FieldIssue[]> {
    if (!UPLOAD_ID_PATTERN.test(id)) return issue('not an upload id: use the "input" that POST /v1/uploads returned');
    if (!(await this.uploads.exists(customerId, id))) return issue(`no upload ${id} for this customer`);
    return [];
  }

  private checkFile(url: URL): FieldIssue[] {
    if (this.roots.length === 0) return issue('file:// inputs are disabled on this server (KILN_INPUT_ROOTS is empty)');
    let file: string;
    try {
      file = path.resolve(fileURLToPath(url));
    } catch {
      return issue('not a valid local file URL');
    }
    const inside = this.roots.some((root) => file.startsWith(root.endsWith(path.sep) ? root : root + path.sep));
    if (!inside) return issue('file is outside the allowed input roots (KILN_INPUT_ROOTS)');
    return [];
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
