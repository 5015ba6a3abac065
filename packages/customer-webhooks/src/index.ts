export { healthAfterAttempt, type EndpointHealth, type HealthVerdict } from './endpoint-health.js';
export {
  DEFAULT_RETRY_BASE_MS,
  nextRetryDelay,
  WEBHOOK_BACKOFF_TYPE,
  webhookRetryDelay,
  type RetryPlan,
} from './webhook-backoff.js';
export { WebhookDeliveryRepository, type WebhookAttempt, type WebhookDelivery } from './webhook-delivery.repository.js';
export { WebhookEndpointRepository, type WebhookEndpoint } from './webhook-endpoint.repository.js';
export { WEBHOOK_EVENT_TYPES, webhookPayload, type WebhookEventType, type WebhookPayload } from './webhook-events.js';
export { WebhookEmitter, type WebhookEmitterDeps } from './webhook.emitter.js';
export { WebhookQueue, WEBHOOKS_QUEUE, type WebhookJobData } from './webhook.queue.js';
export { replayed } from './webhook-replay.js';
export { signingSecrets } from './webhook-secret.js';
export { EndpointLimitError } from './webhooks.errors.js';
export { signWebhook, type WebhookHeaders } from './webhook-signer.js';
