import { createRequire } from 'node:module';

/**
 * nice-grpc, grpc-js's server credentials and the generated SearchService definition, resolved the way the
 * server package resolves them: bench/ is not a workspace package and adds no
 * dependencies of its own.
 */
export function loadWorkspaceGrpc(repoRoot) {
  const require = createRequire(`${repoRoot}/packages/search-server/package.json`);
  const niceGrpc = require('nice-grpc');
  const grpcJs = require('@grpc/grpc-js');
  const generated = require('@geosearch/generated');
  return {
    insecure: () => grpcJs.ServerCredentials.createInsecure(),
    createChannel: niceGrpc.createChannel,
    createClient: niceGrpc.createClient,
    createServer: niceGrpc.createServer,
    ServerError: niceGrpc.ServerError,
    Status: niceGrpc.Status,
    SearchServiceDefinition: generated.SearchServiceDefinition,
    SearchRequest: generated.SearchRequest,
    NearbyRequest: generated.NearbyRequest,
  };
}

/** A SearchService client on its own channel; `close()` releases the channel. */
export function searchClient(grpc, address) {
  const channel = grpc.createChannel(address);
  const client = grpc.createClient(grpc.SearchServiceDefinition, channel);
  return { client, close: () => channel.close() };
}
