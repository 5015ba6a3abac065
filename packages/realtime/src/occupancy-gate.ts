import type { OccupancyRepository } from './occupancy.repository.js';

/** Decides whether anyone watches a channel, i.e. whether an event for it is worth a Pusher call. */
export interface OccupancyGate {
  isOccupied(channel: string): Promise<boolean>;
}

/** The plain gate: asks Redis (SISMEMBER) on every decision. */
export class RedisOccupancyGate implements OccupancyGate {
  constructor(private readonly occupancy: OccupancyRepository) {}

  isOccupied(channel: string): Promise<boolean> {
    return this.occupancy.isOccupied(channel);
  }
}
