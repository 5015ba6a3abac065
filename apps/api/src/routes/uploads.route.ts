import { Router } from 'express';
import { PayloadTooLargeError, ValidationError } from '../http.errors.js';
import { customerOf } from '../middleware/auth.middleware.js';
import { EmptyUploadError, UploadTooLargeError, uploadInput, type UploadStore } from '@kiln/storage';

const emptyUpload = () =>
  new ValidationError([{ path: '(body)', message: 'the upload is empty: send the file as the raw request body' }]);

/**
 * `POST /v1/uploads`: the raw request body (any content type) becomes an upload a job can name as
 * `upload://<id>`. Mounted before the JSON parser, so a JSON or form file is stored as sent.
 */
export function uploadsRouter(deps: { uploads: UploadStore; maxBytes: number }): Router {
  const router = Router();
  router.post('/', async (req, res) => {
    const customerId = customerOf(req);
    const tooLarge = () => {
      // Do not read the rest of a body we refuse: the connection closes after the answer.
      res.set('Connection', 'close');
      return new PayloadTooLargeError(`the upload is larger than KILN_MAX_UPLOAD_BYTES (${deps.maxBytes} bytes)`);
    };
    const declared = req.get('content-length');
    if (declared !== undefined && Number(declared) > deps.maxBytes) throw tooLarge();
    if (declared === '0') throw emptyUpload();
    try {
      const upload = await deps.uploads.save(customerId, req, deps.maxBytes);
      res.status(201).json({ id: upload.id, sizeBytes: upload.sizeBytes, input: uploadInput(upload.id) });
    } catch (err) {
      if (err instanceof UploadTooLargeError) throw tooLarge();
      if (err instanceof EmptyUploadError) throw emptyUpload();
      throw err;
    }
  });
  return router;
}
