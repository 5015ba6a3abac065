export {
  GatedPublisher,
  MAX_EVENT_BYTES,
  type BatchSink,
  type EventKind,
  type GatedPublisherDeps,
  type GatedPublisherOptions,
  type PublishOptions,
  type PublishOutcome,
} from './gated-publisher.js';
export { RedisOccupancyGate, type OccupancyGate } from './occupancy-gate.js';
export {
  OccupancyRepository,
  type ApplyResult,
  type OccupancyEvent,
  type OccupancyEventName,
} from './occupancy.repository.js';
export { MAX_BATCH_EVENTS, PusherTransport, type OutgoingEvent } from './pusher-transport.js';
export { PusherApiError, WebhookAuthError, WebhookBodyError } from './realtime.errors.js';
export type { PusherSettings } from './pusher-settings.js';
export { RealtimeMetrics, type EventOutcome } from './realtime-metrics.js';
export { WebhookVerifier, type VerifiedWebhook } from './webhook-verifier.js';
export { JobAnnouncer } from './job-announcer.js';
export { OccupancyMirror, type GateSource, type OccupancyMirrorDeps } from './occupancy-mirror.js';
export {
  OccupancyReconciler,
  type ChannelLister,
  type OccupancyReconcilerDeps,
  type RepairResult,
} from './occupancy-reconciler.js';
export { Readiness, type ReadinessDeps } from './readiness.js';
export { createPresenceGatedPublisher, type PresenceGatedPublishing } from './presence-gated-publisher.js';
