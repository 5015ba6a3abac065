/**
 * How old a signed Pusher webhook may be (its `time_ms` against our clock) and still change the
 * occupied set: 10 minutes by default, longer than Pusher's 5 minutes of retries, so a genuine late
 * delivery still counts while a captured webhook replayed later (even after the channel's
 * last-applied record expired from Redis) changes nothing. KILN_PUSHER_REPLAY_WINDOW_S sets it.
 */
export const DEFAULT_PUSHER_REPLAY_WINDOW_S = 600;

/** The shortest window accepted: Pusher retries a failed delivery for up to 5 minutes. */
export const MIN_PUSHER_REPLAY_WINDOW_S = 360;
