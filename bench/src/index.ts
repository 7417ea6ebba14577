/**
 * bench — the `npm run bench:*` scripts: each prints its figures with a reference measured in the same
 * run (clkhash, a C kernel, the previous implementation), never a timed assertion. Run from the root.
 */
export {};
