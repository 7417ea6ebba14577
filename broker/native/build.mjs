// Builds the native Dice kernel (dice.cc → build/Release/blindlink_dice.node) with node-gyp, the
// Node-API build tool that ships with npm; run by the root `prepare` script during `npm ci`.
//
// A machine without a C++ compiler, python3 or Node's headers must still install: a failed build
// prints why and exits 0, and the engine then uses its WebAssembly kernel (tests/kernel.test.ts
// fails unless BLINDLINK_KERNEL_NATIVE=0 says that is intended). `npm run build:native -w broker`
// rebuilds it after dice.cc changes.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** npm's own node-gyp: npm names it in the environment of its scripts; otherwise next to npm. */
function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(
      dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  ];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed as a package: fine, npm's copy is used
  }
  return candidates.find((p) => p && existsSync(p));
}

/** Node's headers next to the running node (/usr/include/node for a distribution's node), so nothing is downloaded. */
function nodeDir() {
  const prefix = resolve(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

function fail(why, detail) {
  rmSync(join(here, 'build'), { recursive: true, force: true });
  console.warn(`blindlink: native Dice kernel NOT built (${why}); the engine will use its WebAssembly kernel`);
  if (detail)
    console.warn(
      detail
        .split('\n')
        .filter((l) => /error|not found|No such/i.test(l))
        .slice(0, 8)
        .join('\n'),
    );
  process.exit(0);
}

const gyp = nodeGyp();
if (!gyp) fail('node-gyp not found: it ships with npm');
const dir = nodeDir();
const args = [gyp, 'rebuild', ...(dir ? [`--nodedir=${dir}`] : [])];
const res = spawnSync(process.execPath, args, { cwd: here, encoding: 'utf8' });
if (res.error) fail(res.error.message);
if (res.status !== 0) fail(`node-gyp exited with ${res.status}`, `${res.stdout}\n${res.stderr}`);
console.log('blindlink: native Dice kernel built (node-gyp, -O3 -march=native)');
