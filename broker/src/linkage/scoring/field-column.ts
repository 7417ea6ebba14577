import type { FilterSet } from '../kernel/index.js';

/** One field's filters in one source, with a presence flag per record. */
export interface FieldColumn {
  set: FilterSet;
  present: Uint8Array;
  /** Probability with which the encoder flipped each bit (flip hardening): equal values then differ. */
  flip?: number;
}
