import type { FastifyInstance } from 'fastify';

export interface RouteEntry {
  method: string;
  /** Fastify's path, with :params. */
  path: string;
}

/**
 * Every route the built app answers, read from fastify's own route tree so a test's list cannot go
 * stale: printRoutes prints a tree whose children carry the rest of their parent's path.
 */
export function listRoutes(app: FastifyInstance): RouteEntry[] {
  const tree = app.printRoutes({ commonPrefix: false });
  const stack: string[] = [];
  const routes: RouteEntry[] = [];
  for (const line of tree.split('\n')) {
    const m = line.match(/^((?:[│ ] {3})*)[├└]── (\S+)(?: \(([^)]*)\))?\s*$/);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    const path = (stack[depth - 1] ?? '') + m[2]!;
    stack.push(path);
    for (const method of (m[3] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean))
      routes.push({ method, path });
  }
  return routes;
}

/** "METHOD /path" as the matrix and fuzz tables key routes. */
export const routeKey = (r: RouteEntry) => `${r.method} ${r.path}`;

/** Put values into a fastify path's :params. */
export function fillPath(path: string, params: Record<string, string>): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`no value for :${name} in ${path}`);
    return encodeURIComponent(v);
  });
}
