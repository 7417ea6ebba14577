/**
 * Blocking restricted to pairs that touch marked records, for incremental runs: a daily extract
 * changes a few records, and only pairs holding one of them are new. Everything data-dependent —
 * LSH bit frequencies and rows, bucket and block sizes — is still computed over the whole sides, so
 * the restricted result is exactly the unrestricted one filtered to pairs with a marked record.
 */

/** One flag per record (1 = marked) of A, and of B (null when blocking within A). */
export interface TouchingMarks {
  a: Uint8Array;
  b: Uint8Array | null;
}

export function checkMarks(marks: TouchingMarks, nA: number, nB: number | null): void {
  if (marks.a.length !== nA) throw new RangeError(`touching: ${marks.a.length} marks for ${nA} records of A`);
  if (nB === null ? marks.b !== null : marks.b?.length !== nB) {
    throw new RangeError(`touching: ${marks.b?.length ?? 'no'} marks for ${nB ?? 'no'} records of B`);
  }
}
