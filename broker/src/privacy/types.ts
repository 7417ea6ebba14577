/**
 * What the privacy attacks see and return. An attack sees only what the broker holds: per-field
 * filters (as the files carry them), the public scheme and a background frequency table drawn from
 * another population. It never sees the secret or the encoder.
 */

/** One field of every record of every file, in file order: the filter (base64) or null when missing. */
export interface FieldColumn {
  field: string;
  bits: number;
  /** Base64 filter per record (identical filters are identical strings), or null. */
  filters: (string | null)[];
  /** Index of the source (file) of each record. */
  source: Uint16Array;
}

/** The attacker's ranked guesses for one record: most likely first (at most 10), or null (no guess). */
export type Guesses = (readonly string[] | null)[];

export interface AttackResult {
  guesses: Guesses;
  /**
   * The attacker's own confidence, per record: true when the top guess stands out (a unique
   * candidate with a margin). Not a measured re-identification rate: the attacker cannot check it.
   */
  confident: Uint8Array;
}

/** A value and how many people of the background population hold it. */
export interface BackgroundValue {
  value: string;
  count: number;
}

/** Frequency tables of another population: values normalised as the public scheme says. */
export interface Background {
  /** Where it came from (a file name or "shipped:…"), for the report. */
  source: string;
  /** SHA-256 of the table's text, for the report. */
  digest: string;
  /** Field → values, most frequent first. Fields: given_name, surname, dob_year. */
  fields: Map<string, BackgroundValue[]>;
}
