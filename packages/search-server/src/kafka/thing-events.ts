import type { ThingChange } from '../extension.js';

/** The kinds of data event. */
export type ThingEventType = 'thing.upserted' | 'thing.deleted';

/** A data event as published (the shipper adds `seq`). */
export interface ThingEvent {
  readonly type: ThingEventType;
  readonly id: number;
  readonly externalId: string;
  readonly version: number;
  /** When the server saw the change (ISO 8601). */
  readonly time: string;
  /** The instance that made the change. */
  readonly instance: string;
}

/** The JSON text of a data event about `thing`. */
export function thingEventJson(
  type: ThingEventType,
  thing: ThingChange,
  instance: string,
  time: Date = new Date(),
): string {
  const event: ThingEvent = {
    type,
    id: thing.id,
    externalId: thing.externalId,
    version: thing.version,
    time: time.toISOString(),
    instance,
  };
  return JSON.stringify(event);
}
