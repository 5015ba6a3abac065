import { WEBHOOK_EVENT_TYPES, type WebhookDeliveryView } from '@kiln/client';
import { describe, expect, it } from 'vitest';
import {
  attemptText,
  deliveryStatusText,
  endpointEventsText,
  endpointFormProblem,
  eventsToRequest,
} from './webhooks.format.js';

const delivery = (over: Partial<WebhookDeliveryView> = {}): WebhookDeliveryView => ({
  id: 'd1',
  endpointId: 'e1',
  url: 'https://hooks.example.com',
  eventType: 'job.completed',
  webhookId: 'msg_1',
  status: 'succeeded',
  attempts: [],
  nextAttemptAt: null,
  createdAt: '2026-12-01T00:00:00.000Z',
  ...over,
});

describe('webhook formatting', () => {
  it('says what each attempt got back: the status code, else the error', () => {
    const at = '2026-12-01T00:00:00.000Z';
    expect(attemptText({ at, statusCode: 200, durationMs: 35.4, error: null })).toMatch(/: HTTP 200 in 35 ms$/);
    expect(attemptText({ at, statusCode: 500, durationMs: 10, error: 'server error' })).toMatch(
      /: HTTP 500 \(server error\) in 10 ms$/,
    );
    expect(attemptText({ at, statusCode: null, durationMs: 10000, error: 'timeout' })).toMatch(
      /: timeout in 10000 ms$/,
    );
  });

  it('counts attempts and names the next try only while pending', () => {
    const one = [{ at: '2026-12-01T00:00:00.000Z', statusCode: 200, durationMs: 1, error: null }];
    expect(deliveryStatusText(delivery({ attempts: one }))).toBe('succeeded · 1 attempt');
    const pending = deliveryStatusText(
      delivery({ status: 'pending', attempts: [...one, ...one], nextAttemptAt: '2026-12-01T00:01:00.000Z' }),
    );
    expect(pending).toMatch(/^pending · 2 attempts · next /);
  });

  it('asks for every event by leaving the list out, and for a subset by naming it', () => {
    expect(eventsToRequest([...WEBHOOK_EVENT_TYPES])).toBeUndefined();
    expect(eventsToRequest(['output.completed', 'job.failed'])).toEqual(['job.failed', 'output.completed']);
    expect(endpointEventsText({ events: [] })).toBe('all events');
    expect(endpointEventsText({ events: ['job.completed'] })).toBe('job.completed');
  });

  it('refuses a form without an http(s) URL or without any event', () => {
    expect(endpointFormProblem('https://hooks.example.com/kiln', ['job.completed'])).toBeUndefined();
    expect(endpointFormProblem('ftp://hooks.example.com', ['job.completed'])).toMatch(/http/);
    expect(endpointFormProblem('not a url', ['job.completed'])).toMatch(/http/);
    expect(endpointFormProblem('https://hooks.example.com', [])).toMatch(/at least one event/);
  });
});
