import type { ServiceDeps } from '../services/deps.js';

/** What every route plugin is registered with: the services' dependencies, which it passes on. */
export type RouteDeps = ServiceDeps;
