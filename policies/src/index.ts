/**
 * @blindlink/policies — the data-sharing policy an IG lead writes: its format (`format.ts`, TypeBox),
 * the YAML loader that validates it and gives its content hash (`load.ts`), and the decision engine
 * that judges a request by the version in force (`engine.ts`). Pure: the broker stores and approves
 * versions (`broker/src/governance/`), this package only reads and decides. Examples in `examples/`.
 */
export * from './format.js';
export * from './load.js';
export * from './engine.js';
