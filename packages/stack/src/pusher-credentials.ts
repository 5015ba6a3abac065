import { randomBytes, randomInt } from 'node:crypto';

/** The three values that identify and authenticate a Pusher Channels app. */
export interface PusherCredentials {
  appId: string;
  key: string;
  secret: string;
}

/**
 * Fresh credentials for a local soketi: a numeric app id (Pusher's are digits), a 20-hex-char
 * key and a 40-hex-char secret. Random each time, so two stacks on one machine never share an app.
 */
export function generatePusherCredentials(): PusherCredentials {
  return {
    appId: String(randomInt(1_000_000, 10_000_000)),
    key: randomBytes(10).toString('hex'),
    secret: randomBytes(20).toString('hex'),
  };
}
