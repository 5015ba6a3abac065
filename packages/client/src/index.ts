/** `@kiln/client`: Kiln's API client, live job updates and the job wire contract, for browsers and Node. */
export * from './contract.js';
export {
  ApiClient,
  apiUrl,
  fileNameFrom,
  type ApiClientOptions,
  type ChannelAuth,
  type Download,
  type ListJobsQuery,
} from './api.client.js';
export { ApiError, apiErrorFrom, readApiError, type ApiErrorBody, type FieldError } from './api-error.js';
export {
  isStats,
  type HourCount,
  type OutputRequest,
  type Preset,
  type SignedUrl,
  type Stats,
  type Upload,
} from './api.schema.js';
export { JobStore } from './job-store.js';
export {
  JobWatchSession,
  problemFrom,
  type JobWatchHandlers,
  type JobWatchOptions,
  type WatchProblem,
} from './job-watch.session.js';
export {
  hasPlayableType,
  playableOutput,
  progressView,
  type Playable,
  type PlayableKind,
  type ProgressView,
} from './progress-view.js';
export { formatPlaceInLine, formatQueuePlace, formatWait, ordinal } from './queue-place-format.js';
export { QueuePlaces } from './queue-places.js';
export {
  connectRealtime,
  type ChannelAuthorization,
  type ChannelAuthorizer,
  type RealtimeConnection,
  type RealtimeHandlers,
} from './realtime.adapter.js';
export {
  fetchUpload,
  xhrUpload,
  type FetchFn,
  type UploadFn,
  type UploadProgress,
  type UploadReply,
} from './upload.transport.js';
