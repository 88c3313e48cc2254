import {
  type DeleteThingRequest as WireDeleteThingRequest,
  type GetThingRequest as WireGetThingRequest,
  type NearbyRequest as WireNearbyRequest,
  type SearchRequest as WireSearchRequest,
  ThingView as WireThingView,
} from '@geosearch/generated';
import type { NearbyRequest, SearchRequest, ThingKey, ThingView } from './requests.js';

/** The wire view; unset means the server default (basic). */
export function viewToWire(view: ThingView | undefined): WireThingView {
  if (view === 'full') return WireThingView.THING_VIEW_FULL;
  if (view === 'basic') return WireThingView.THING_VIEW_BASIC;
  return WireThingView.THING_VIEW_UNSPECIFIED;
}

/** The wire `oneof key`; unset when neither is given, so the server names the missing field. */
export function keyToWire(key: ThingKey): WireGetThingRequest['key'] {
  if (key.id !== undefined) return { $case: 'id', value: key.id };
  if (key.externalId !== undefined) return { $case: 'externalId', value: key.externalId };
  return undefined;
}

/** A search request as the wire message (proto3 defaults for what is omitted). */
export function searchToWire(request: SearchRequest): WireSearchRequest {
  return {
    point: request.point === undefined ? undefined : { lat: request.point.lat, lng: request.point.lng },
    query: request.query ?? '',
    pageSize: request.pageSize ?? 0,
    pageToken: request.pageToken ?? '',
    view: viewToWire(request.view),
  };
}

/** A nearby request as the wire message. */
export function nearbyToWire(request: NearbyRequest): WireNearbyRequest {
  return {
    point: { lat: request.point.lat, lng: request.point.lng },
    limit: request.limit ?? 0,
    maxDistanceMeters: request.maxDistanceMeters ?? 0,
    view: viewToWire(request.view),
  };
}

/** A get request as the wire message. */
export function getThingToWire(request: ThingKey & { readonly view?: ThingView }): WireGetThingRequest {
  return { key: keyToWire(request), view: viewToWire(request.view) };
}

/** A delete request as the wire message. */
export function deleteThingToWire(request: ThingKey): WireDeleteThingRequest {
  return { key: keyToWire(request) };
}
