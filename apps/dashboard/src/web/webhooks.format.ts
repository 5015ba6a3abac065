import {
  WEBHOOK_EVENT_TYPES,
  type WebhookAttemptView,
  type WebhookDeliveryView,
  type WebhookEndpointView,
  type WebhookEventType,
} from '@kiln/client';
import { formatTimestamp } from './job-detail.format.js';

/** One attempt in words: "200 in 35 ms", "timeout after 10000 ms", with its time. */
export function attemptText(a: WebhookAttemptView): string {
  const outcome = a.statusCode !== null ? `HTTP ${a.statusCode}` : (a.error ?? 'no answer');
  const error = a.statusCode !== null && a.error !== null ? ` (${a.error})` : '';
  return `${formatTimestamp(a.at)}: ${outcome}${error} in ${Math.round(a.durationMs)} ms`;
}

/** A delivery's status line: its outcome, how many attempts, and when the next one is due. */
export function deliveryStatusText(d: WebhookDeliveryView): string {
  const attempts = `${d.attempts.length} attempt${d.attempts.length === 1 ? '' : 's'}`;
  const next = d.status === 'pending' && d.nextAttemptAt !== null ? ` · next ${formatTimestamp(d.nextAttemptAt)}` : '';
  return `${d.status} · ${attempts}${next}`;
}

/** The events an endpoint gets, in words ("all events" when it names none). */
export function endpointEventsText(e: Pick<WebhookEndpointView, 'events'>): string {
  return e.events.length === 0 ? 'all events' : e.events.join(', ');
}

/** What the form's checkboxes ask for: every type checked means all (an empty list lets new types in too). */
export function eventsToRequest(checked: readonly string[]): WebhookEventType[] | undefined {
  const known = WEBHOOK_EVENT_TYPES.filter((t) => checked.includes(t));
  return known.length === WEBHOOK_EVENT_TYPES.length ? undefined : known;
}

/** Why the form cannot be sent yet, or undefined: a URL the API could accept and at least one event. */
export function endpointFormProblem(url: string, checked: readonly string[]): string | undefined {
  const s = url.trim();
  if (!URL.canParse(s) || !/^https?:$/i.test(new URL(s).protocol)) return 'Enter the receiver’s http(s):// URL.';
  if (checked.length === 0) return 'Choose at least one event.';
  return undefined;
}
