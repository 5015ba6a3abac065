import Pusher from 'pusher';
import { z } from 'zod';
import type { OccupancyEvent } from './occupancy.repository.js';
import { WebhookAuthError, WebhookBodyError } from './realtime.errors.js';

/** The SDK's HMAC token; its runtime class is exported, its typings only declare the shape. */
interface SignatureToken {
  verify(body: string, signature: string): boolean;
}
const SdkToken = (Pusher as unknown as { Token: new (key: string, secret: string) => SignatureToken }).Token;

const bodySchema = z.object({
  time_ms: z.number().int().nonnegative(),
  events: z.array(z.looseObject({ name: z.string(), channel: z.string().optional() })),
});

/** A verified webhook: the occupancy events it carries (others are skipped) and its time. */
export interface VerifiedWebhook {
  timeMs: number;
  events: OccupancyEvent[];
  /** Events of other kinds (client events, member events), which Kiln does not act on. */
  ignored: number;
}

/**
 * Verifies Pusher WebHooks on the raw body: `X-Pusher-Key` must be a configured app key and
 * `X-Pusher-Signature` the HMAC-SHA256 of the body with that app's secret, compared in constant
 * time by the Pusher SDK's own token. Several keys may be configured to rotate secrets.
 */
export class WebhookVerifier {
  private readonly tokens: Map<string, SignatureToken>;

  constructor(apps: { key: string; secret: string }[]) {
    this.tokens = new Map(apps.map((a) => [a.key, new SdkToken(a.key, a.secret)]));
  }

  /** Checks the signature first (401), then the shape of the body (400). */
  verify(headers: Record<string, string | string[] | undefined>, rawBody: Buffer): VerifiedWebhook {
    const key = header(headers, 'x-pusher-key');
    const signature = header(headers, 'x-pusher-signature');
    if (!key || !signature) throw new WebhookAuthError('missing X-Pusher-Key or X-Pusher-Signature header');
    const token = this.tokens.get(key);
    if (!token) throw new WebhookAuthError('X-Pusher-Key is not a configured app key');
    if (!token.verify(rawBody.toString('utf8'), signature))
      throw new WebhookAuthError('X-Pusher-Signature does not match the body');

    let json: unknown;
    try {
      json = JSON.parse(rawBody.toString('utf8'));
    } catch {
      throw new WebhookBodyError('body is not valid JSON');
    }
    const parsed = bodySchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new WebhookBodyError(`body.${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    const events: OccupancyEvent[] = [];
    let ignored = 0;
    for (const e of parsed.data.events) {
      if ((e.name === 'channel_occupied' || e.name === 'channel_vacated') && e.channel) {
        events.push({ name: e.name, channel: e.channel, timeMs: parsed.data.time_ms });
      } else {
        ignored++;
      }
    }
    return { timeMs: parsed.data.time_ms, events, ignored };
  }
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
