/**
 * Reads the polygons of a WKB Polygon or MultiPolygon (2D, as
 * `ST_AsBinary` writes it) into flat coordinate rings. Other geometry types,
 * Z/M coordinates and truncated input are refused with an Error, so that a
 * caller never indexes a shape it has not understood.
 */

/** A polygon: its outer ring first, then its holes, each as flat `[x0, y0, x1, y1, ...]`. */
export type PolygonRings = readonly (readonly number[])[];

const POLYGON = 3;
const MULTIPOLYGON = 6;

/** The polygons of `wkb`, each as rings of `[x, y, ...]` (outer ring first). */
export function polygonsFromWkb(wkb: Uint8Array): PolygonRings[] {
  const view = new DataView(wkb.buffer, wkb.byteOffset, wkb.byteLength);
  let at = 0;
  const need = (bytes: number) => {
    if (at + bytes > wkb.byteLength)
      throw new Error(`WKB ends at byte ${wkb.byteLength}, ${bytes} more expected`);
  };
  const header = (): { little: boolean; type: number } => {
    need(5);
    const order = view.getUint8(at);
    if (order > 1) throw new Error(`WKB byte order ${order} is neither 0 nor 1`);
    const little = order === 1;
    const type = view.getUint32(at + 1, little);
    at += 5;
    return { little, type };
  };
  const count = (little: boolean) => {
    need(4);
    const n = view.getUint32(at, little);
    at += 4;
    return n;
  };
  const polygon = (little: boolean): PolygonRings => {
    const rings: number[][] = [];
    for (let r = count(little); r > 0; r--) {
      const points = count(little);
      need(points * 16);
      const ring: number[] = [];
      for (let i = 0; i < points * 2; i++) {
        ring.push(view.getFloat64(at, little));
        at += 8;
      }
      rings.push(ring);
    }
    return rings;
  };

  const top = header();
  let polygons: PolygonRings[];
  if (top.type === POLYGON) {
    polygons = [polygon(top.little)];
  } else if (top.type === MULTIPOLYGON) {
    polygons = [];
    for (let n = count(top.little); n > 0; n--) {
      const part = header();
      if (part.type !== POLYGON) throw new Error(`WKB MultiPolygon holds geometry type ${part.type}`);
      polygons.push(polygon(part.little));
    }
  } else {
    throw new Error(`WKB geometry type ${top.type} is not a 2D Polygon or MultiPolygon`);
  }
  if (at !== wkb.byteLength) throw new Error(`WKB has ${wkb.byteLength - at} bytes after the geometry`);
  return polygons;
}
