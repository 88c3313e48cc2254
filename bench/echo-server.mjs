// The transport baseline: the server's own gRPC host (grpc-js; see
// packages/search-server/src/rpc/grpc-host.ts, taken from the server's build)
// with the real SearchService definition, whose Search answers one fixed hit
// shaped like a real one, without touching a database and without the
// server's telemetry. Other methods are UNIMPLEMENTED. Listens on 127.0.0.1
// and the port given as the first argument (0: any), logs one JSON `serving`
// line with the port, and stops on SIGTERM or SIGINT. Like the real server,
// it replaces each HTTP/2 session's stream map (http2-stream-tables.ts), so
// that it stays the transport's limit for that server.
import { join } from 'node:path';
import { createGrpcHost } from '../packages/search-server/dist/rpc/grpc-host.js';
import { replaceHttp2StreamMaps } from '../packages/search-server/dist/rpc/http2-stream-tables.js';
import { loadWorkspaceGrpc } from './lib/workspace-grpc.mjs';

const grpc = loadWorkspaceGrpc(join(import.meta.dirname, '..'));
replaceHttp2StreamMaps();
const now = new Date();
const response = {
  results: [
    {
      thing: {
        id: 4242,
        externalId: 'grid-4242',
        name: 'Kamarur 4242',
        properties: { i: 42, j: 42 },
        geometryGeojson: '',
        bbox: { minLng: 5.84, minLat: 40.84, maxLng: 5.86, maxLat: 40.86 },
        createTime: now,
        updateTime: now,
        version: 1,
      },
      score: 1,
    },
  ],
  nextPageToken: '',
};
const unimplemented = async () => {
  throw new grpc.ServerError(grpc.Status.UNIMPLEMENTED, 'echo server: Search only');
};

const server = createGrpcHost({ channelOptions: { 'grpc.enable_channelz': 0 } });
server.add(grpc.SearchServiceDefinition, {
  search: async () => response,
  nearby: unimplemented,
  getThing: unimplemented,
  importThings: unimplemented,
  deleteThing: unimplemented,
  monitor: unimplemented,
});
const port = await server.listen(`127.0.0.1:${process.argv[2] ?? '0'}`, grpc.insecure());
process.stdout.write(`${JSON.stringify({ msg: 'serving', port })}\n`);

const stop = () => {
  server.shutdown().then(
    () => process.exit(0),
    () => process.exit(1),
  );
  setTimeout(() => process.exit(1), 3_000).unref();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
