import { KilnError } from '@kiln/errors';

/** Thrown when a port a service needs is already taken; the message names the port and who wanted it. */
export class PortTakenError extends KilnError {
  readonly code = 'port_taken';

  constructor(
    readonly port: number,
    readonly host: string,
    message = `port ${port} on ${host} is already in use`,
  ) {
    super(message);
  }
}

/** Thrown when the machine has no `redis-server` binary to spawn. */
export class RedisServerMissingError extends KilnError {
  readonly code = 'redis_server_missing';

  constructor() {
    super('redis-server not found on PATH: apt-get install redis-server or set REDIS_URL');
  }
}

/** A child process that exited or never became ready during start; `output` is the tail of what it printed. */
export class ProcessStartError extends KilnError {
  readonly code = 'process_start_failed';

  constructor(
    message: string,
    readonly output: string,
  ) {
    super(output ? `${message}\n${output}` : message);
  }
}

/** A start-up problem of `npm start` that deserves one clear line rather than a stack trace. */
export class StackStartError extends KilnError {
  readonly code = 'stack_start_failed';
}
