export {
  type ConsulDiscovery,
  type ConsulDiscoveryOptions,
  createConsulDiscovery,
} from './consul-discovery.js';
export {
  createDnsSrvDiscovery,
  type DnsSrvDiscovery,
  type DnsSrvDiscoveryOptions,
  type SrvResolver,
} from './dns-srv-discovery.js';
