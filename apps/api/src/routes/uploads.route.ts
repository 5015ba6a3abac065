import type { Request, Response } from 'express';
import { Router } from 'express';
import { PayloadTooLargeError, ValidationError } from '../http.errors.js';
import { customerOf } from '../middleware/auth.middleware.js';
import type { UsageService } from '../services/usage.service.js';
import { EmptyUploadError, UploadTooLargeError, uploadInput, type UploadStore } from '@kiln/storage';

const emptyUpload = () =>
  new ValidationError([{ path: '(body)', message: 'the upload is empty: send the file as the raw request body' }]);

/** What {@link uploadsRouter} works with. */
interface UploadsDeps {
  uploads: UploadStore;
  maxBytes: number;
  /** The customers' stored-bytes limits (429 `stored_bytes_limit` past one). */
  usage: UsageService;
}

/** `err`, once the answer is set to close the connection: the rest of a refused body is not read. */
function closing<E extends Error>(res: Response, err: E): E {
  res.set('Connection', 'close');
  return err;
}

/**
 * Stores the body as a new upload within both limits: at most `maxBytes`, and no more than the
 * customer's stored-bytes limit leaves room for (`room`), refused before reading when the body's
 * declared size is already too large.
 */
async function saveWithin(req: Request, res: Response, deps: UploadsDeps, customerId: string) {
  const tooLarge = () =>
    new PayloadTooLargeError(`the upload is larger than KILN_MAX_UPLOAD_BYTES (${deps.maxBytes} bytes)`);
  const declared = req.get('content-length');
  if (declared !== undefined && Number(declared) > deps.maxBytes) throw closing(res, tooLarge());
  if (declared === '0') throw emptyUpload();
  const room = await deps.usage.room(customerId);
  if (declared !== undefined && Number(declared) > room)
    throw closing(res, await deps.usage.storedBytesRefusal(customerId, Number(declared)));
  const cap = Math.min(deps.maxBytes, room);
  try {
    return await deps.uploads.save(customerId, req, cap);
  } catch (err) {
    if (err instanceof UploadTooLargeError)
      throw closing(res, cap < deps.maxBytes ? await deps.usage.storedBytesRefusal(customerId) : tooLarge());
    if (err instanceof EmptyUploadError) throw emptyUpload();
    throw err;
  }
}

/**
 * `POST /v1/uploads`: the raw request body (any content type) becomes an upload a job can name as
 * `upload://<id>`. Mounted before the JSON parser, so a JSON or form file is stored as sent. The
 * upload counts towards the customer's stored bytes; one that does not fit (parallel uploads
 * included) is removed again and answered 429 `stored_bytes_limit`.
 */
export function uploadsRouter(deps: UploadsDeps): Router {
  const router = Router();
  router.post('/', async (req, res) => {
    const customerId = customerOf(req);
    const upload = await saveWithin(req, res, deps, customerId);
    let counted: boolean;
    try {
      counted = await deps.usage.countUpload(customerId, upload.id, upload.sizeBytes);
    } catch (err) {
      // The client hears of a failure: an upload it cannot know of must not stay uncounted.
      await deps.uploads.remove(customerId, upload.id).catch(() => undefined);
      throw err;
    }
    if (!counted) {
      await deps.uploads.remove(customerId, upload.id);
      throw await deps.usage.storedBytesRefusal(customerId, upload.sizeBytes);
    }
    res.status(201).json({ id: upload.id, sizeBytes: upload.sizeBytes, input: uploadInput(upload.id) });
  });
  return router;
}
