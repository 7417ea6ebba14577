/**
 * A parsed JSON body as tests read it: an answer from the broker, a line of an export. Each test walks the
 * paths it then asserts on, so the assertion is the check; a declared shape per answer would restate it.
 */
// biome-ignore lint/suspicious/noExplicitAny: parsed JSON whose shape the reading test asserts (see above).
export type Json = any;
