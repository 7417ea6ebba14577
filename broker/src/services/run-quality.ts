import { ProtocolError, type RunStatus } from '@blindlink/protocol';
import { runStatus } from '../jobs/status.js';
import { type WeightHistogram, weightHistogram } from '../linkage/scoring/index.js';
import { decodeModel } from '../runs/state.js';
import type { AuditNote } from './audit-note.js';
import type { Caller } from './caller.js';
import type { ServiceDeps } from './deps.js';
import { authoriseRuns } from './purpose-access.js';

/** Per field, each comparison level's m, u and partial match weight log2(m/u) (Splink's match weights chart). */
export interface FieldWeights {
  field: string;
  levels: { label: string; m: number; u: number; weight: number }[];
}

/** How a run weighed its pairs, as far as its stored model tells: weights and counts, no record. */
export type RunModelView =
  | { mode: 'dice'; threshold: number; fittedIn: string }
  | {
      mode: 'fellegi-sunter';
      /** Match weight (log2 odds) at or above which a pair links. */
      threshold: number;
      priorWeight: number;
      fittedIn: string;
      histogram: WeightHistogram;
      fields: FieldWeights[];
    };

/**
 * A run's status with its model's match weights: what the analyst's run page shows. The model is the
 * one the run stored for the next run to continue (run_state); a run still under way, or failed, has
 * none (model null).
 */
export async function getRunQuality(
  { db }: Pick<ServiceDeps, 'db'>,
  caller: Caller,
  { purpose, runId }: { purpose: string; runId: string },
  audit: AuditNote,
): Promise<{ status: RunStatus; model: RunModelView | null }> {
  await authoriseRuns(db, caller, purpose, audit);
  const status = await runStatus(db, purpose, runId);
  if (!status) throw new ProtocolError('not-found', `purpose ${purpose} has no run ${runId}`);
  const state = await db.selectFrom('run_state').select('model').where('run_id', '=', runId).executeTakeFirst();
  if (!state) return { status, model: null };
  const stored = decodeModel(state.model);
  const fs = stored.fellegiSunter;
  if (stored.mode === 'dice' || !fs)
    return { status, model: { mode: 'dice', threshold: stored.threshold, fittedIn: stored.fittedIn } };
  return {
    status,
    model: {
      mode: 'fellegi-sunter',
      threshold: stored.threshold,
      priorWeight: fs.priorWeight,
      fittedIn: stored.fittedIn,
      histogram: weightHistogram(fs),
      fields: fs.fields.map((c, f) => ({
        field: c.field,
        // Level 0 is 'missing': m = u = 1 by convention, no evidence either way.
        levels: c.labels.slice(1).map((label, i) => ({
          label,
          m: fs.m[f]![i + 1]!,
          u: fs.u[f]![i + 1]!,
          weight: fs.weights[f]![i + 1]!,
        })),
      })),
    },
  };
}
