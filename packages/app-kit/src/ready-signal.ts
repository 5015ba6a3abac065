/** What an app sends its parent over IPC once it listens: the launcher and the tests wait for it. */
export interface ReadyMessage {
  type: 'ready';
  app: string;
  /** The port it listens on (the worker: its metrics port, which may have been picked by the OS). */
  port: number;
}

/** Whether an IPC message is an app's {@link ReadyMessage}. */
export function isReadyMessage(message: unknown): message is ReadyMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'ready';
}

/**
 * Tells the parent process this app is ready, when there is an IPC channel (the launcher and the
 * test harness spawn with one; docker and systemd do not, and they use `/healthz`). The channel
 * is then unreferenced so it never keeps a stopping app alive.
 */
export function announceReady(app: string, port: number): void {
  if (!process.send) return;
  const message: ReadyMessage = { type: 'ready', app, port };
  process.send(message, undefined, {}, () => process.channel?.unref());
}
