import type { Thing as ProtoThing, ThingView as ProtoThingView } from '@geosearch/generated';
import { ThingView } from '@geosearch/generated';
import type { ThingView as CoreThingView, Thing } from '@geosearch/search-core';

/** A core thing as the wire message. */
export function thingToProto(thing: Thing): ProtoThing {
  return {
    id: thing.id,
    externalId: thing.externalId,
    name: thing.name,
    properties: thing.properties,
    geometryGeojson: thing.geometry ?? '',
    bbox: thing.bbox,
    createTime: thing.createdAt,
    updateTime: thing.updatedAt,
    version: thing.version,
  };
}

/** The wire view as core's: unspecified means basic. */
export function viewFromProto(view: ProtoThingView): CoreThingView {
  return view === ThingView.THING_VIEW_FULL ? 'full' : 'basic';
}
