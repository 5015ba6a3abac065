/** What the connection indicator shows. */
export type LinkState = 'live' | 'connecting' | 'reconnecting' | 'offline';

/**
 * Maps a pusher-js connection state to the indicator. pusher-js retries by itself from
 * `connecting` and `unavailable`, so both read as (re)connecting; `failed` (no WebSocket support)
 * and `disconnected` (we closed it) do not come back on their own and read as offline.
 */
export function linkStateOf(pusherState: string, hasBeenConnected: boolean): LinkState {
  switch (pusherState) {
    case 'connected':
      return 'live';
    case 'initialized':
    case 'connecting':
      return hasBeenConnected ? 'reconnecting' : 'connecting';
    case 'unavailable':
      return 'reconnecting';
    default:
      return 'offline';
  }
}
