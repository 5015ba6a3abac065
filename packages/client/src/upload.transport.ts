/** Called as an upload goes out: bytes sent so far and the body's total size. */
export type UploadProgress = (sentBytes: number, totalBytes: number) => void;

/** The HTTP answer to an upload, whatever its status. */
export interface UploadReply {
  status: number;
  statusText: string;
  text: string;
}

/**
 * Sends `body` with POST and resolves with the answer (any status); rejects with a TypeError when
 * no answer arrived and with an `AbortError` DOMException when `signal` aborted it.
 */
export type UploadFn = (
  url: string,
  headers: Record<string, string>,
  body: Blob,
  onProgress?: UploadProgress,
  signal?: AbortSignal,
) => Promise<UploadReply>;

/**
 * {@link UploadFn} over XMLHttpRequest (browsers only), the only browser API that reports upload progress
 * (fetch streams request bodies only over HTTP/2 and reports nothing).
 */
export const xhrUpload: UploadFn = (url, headers, body, onProgress, signal) =>
  new Promise<UploadReply>((resolve, reject) => {
    if (signal?.aborted) {
      reject(new DOMException('The upload was aborted.', 'AbortError'));
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    const onAbort = () => xhr.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const settle = () => signal?.removeEventListener('abort', onAbort);
    if (onProgress !== undefined) {
      xhr.upload.addEventListener('progress', (e) => onProgress(e.loaded, e.lengthComputable ? e.total : body.size));
    }
    xhr.addEventListener('load', () => {
      settle();
      // Status 0 after "load" means no HTTP answer at all (a CORS refusal, say).
      if (xhr.status === 0) reject(new TypeError('The upload got no answer.'));
      else resolve({ status: xhr.status, statusText: xhr.statusText, text: xhr.responseText });
    });
    xhr.addEventListener('error', () => {
      settle();
      reject(new TypeError('The upload failed on the network.'));
    });
    xhr.addEventListener('timeout', () => {
      settle();
      reject(new TypeError('The upload timed out.'));
    });
    xhr.addEventListener('abort', () => {
      settle();
      reject(new DOMException('The upload was aborted.', 'AbortError'));
    });
    xhr.send(body);
  });

/** The `fetch` the client calls: the global one unless injected (a proxy, a test). */
export type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

/** {@link UploadFn} over `fetch`: works everywhere, reports no progress. */
export function fetchUpload(fetchFn: FetchFn): UploadFn {
  return async (url, headers, body, _onProgress, signal) => {
    const res = await fetchFn(url, { method: 'POST', headers, body, ...(signal ? { signal } : {}) });
    return { status: res.status, statusText: res.statusText, text: await res.text() };
  };
}
