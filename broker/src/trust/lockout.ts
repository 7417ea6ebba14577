/**
 * Login throttling and lockout for people's accounts, as a pure state machine the broker persists
 * per account. After each consecutive failure the next attempt must wait longer (1 s, 2 s, 4 s, …,
 * capped); after `lockAfter` failures the account locks until an admin unlocks it or, if the policy
 * has a lock window, until the window passes (then the count starts again). A success resets it.
 *
 * Use: `loginGate(state, now)` before checking the password (a refused attempt is not checked and
 * does not count), then `nextLockoutState(state, outcome, now)` with the result, and store it.
 */

export interface LockoutPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  lockAfter: number;
  /** null: only an admin can unlock. */
  lockWindowMs: number | null;
}

export const DEFAULT_LOCKOUT_POLICY: LockoutPolicy = {
  baseDelayMs: 1000,
  maxDelayMs: 5 * 60 * 1000,
  lockAfter: 10,
  lockWindowMs: 30 * 60 * 1000,
};

export interface LockoutState {
  /** Consecutive failures since the last success, unlock or lapsed lock. */
  failures: number;
  /** Epoch ms before which no attempt is considered; null if none pending. */
  nextAttemptAt: number | null;
  locked: boolean;
  /** Epoch ms at which a lock lapses; null while locked means until an admin unlocks. */
  lockedUntil: number | null;
}

export const INITIAL_LOCKOUT_STATE: LockoutState = Object.freeze({
  failures: 0,
  nextAttemptAt: null,
  locked: false,
  lockedUntil: null,
});

export type LoginGate =
  | { allowed: true }
  | { allowed: false; reason: 'locked' | 'slow-down'; retryAfterMs: number | null };

/** Delay imposed after `failures` consecutive failures. */
export function failureDelayMs(failures: number, policy: LockoutPolicy = DEFAULT_LOCKOUT_POLICY): number {
  if (failures <= 0) return 0;
  return Math.min(policy.baseDelayMs * 2 ** Math.min(failures - 1, 30), policy.maxDelayMs);
}

/** A lock whose window has passed is treated as never having happened. */
function lapsed(state: LockoutState, t: number): LockoutState {
  return state.locked && state.lockedUntil !== null && t >= state.lockedUntil ? INITIAL_LOCKOUT_STATE : state;
}

export function loginGate(state: LockoutState, now: Date, _policy: LockoutPolicy = DEFAULT_LOCKOUT_POLICY): LoginGate {
  const t = now.getTime();
  const s = lapsed(state, t);
  if (s.locked)
    return { allowed: false, reason: 'locked', retryAfterMs: s.lockedUntil === null ? null : s.lockedUntil - t };
  if (s.nextAttemptAt !== null && t < s.nextAttemptAt)
    return { allowed: false, reason: 'slow-down', retryAfterMs: s.nextAttemptAt - t };
  return { allowed: true };
}

/**
 * The state after an attempt that ended in `outcome`. An attempt the gate would have refused changes
 * nothing (it must not count, and must not succeed, while the account is delayed or locked).
 */
export function nextLockoutState(
  state: LockoutState,
  outcome: 'success' | 'failure',
  now: Date,
  policy: LockoutPolicy = DEFAULT_LOCKOUT_POLICY,
): LockoutState {
  if (!loginGate(state, now, policy).allowed) return state;
  const t = now.getTime();
  if (outcome === 'success') return INITIAL_LOCKOUT_STATE;
  const failures = lapsed(state, t).failures + 1;
  if (failures >= policy.lockAfter) {
    const lockedUntil = policy.lockWindowMs === null ? null : t + policy.lockWindowMs;
    return { failures, nextAttemptAt: lockedUntil, locked: true, lockedUntil };
  }
  return { failures, nextAttemptAt: t + failureDelayMs(failures, policy), locked: false, lockedUntil: null };
}

/** What an admin's unlock does. */
export function adminUnlock(): LockoutState {
  return INITIAL_LOCKOUT_STATE;
}
