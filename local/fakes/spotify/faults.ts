/**
 * Fault injection for the fake Spotify: deterministic, countable failures so a test can say "the 3rd /items
 * call of playlist X answers 503" or "the first 4 API calls answer 429 with Retry-After 1".
 *
 * Each rule counts the requests it matches (1-based, from when the plan was set). A rule fires on the
 * requests listed in `nth`, or else on every match after the first `after` ones, at most `count` times.
 * `delay` rules add latency and let the request go on; every other action answers the request. When two
 * answering rules fire on one request the first in the list wins and the other neither answers nor uses up
 * its `count` (its match counter still advances).
 */
import { seededRandom } from './seeded';

export type FaultAction =
  /**
   * 429 with Retry-After (seconds, default 1) and Spotify's rate-limit body. Spotify sends whole seconds; the
   * fake also sends fractions (e.g. 0.2) so that tests of many 429s stay fast.
   */
  | { kind: 'rateLimit'; retryAfterSeconds?: number }
  /** 429 with `"reason": "QUOTA_EXCEEDED"` and a long Retry-After (default 86400 s). */
  | { kind: 'quota'; retryAfterSeconds?: number }
  /** 500, 502 or 503 with a JSON error body. */
  | { kind: 'serverError'; status?: 500 | 502 | 503 }
  /** Wait this long before handling the request (non-answering: the request then proceeds). */
  | { kind: 'delay'; ms: number }
  /** 200 with the real response body cut in half: invalid JSON. */
  | { kind: 'malformedJson' }
  /** Destroy the socket without answering (the client sees a connection reset). */
  | { kind: 'reset' }
  /** 401 "The access token expired" for this request, as if the token ran out right now. */
  | { kind: 'expireToken' }
  /**
   * Someone edits the playlist right now (non-answering: the request then sees the new version): its first
   * entry is removed, or its last entry moves to the top. The snapshot id changes as on Spotify.
   */
  | { kind: 'editPlaylist'; playlistId: string; edit?: 'remove-first' | 'move-last-to-first' }
  /** A listener saves a track right now (non-answering): it comes first in their /me/tracks. Default: the catalog's user. */
  | { kind: 'saveTrack'; userId?: string };

/** The answering faults a random mix may draw. */
export type RandomFaultKind = 'rateLimit' | 'serverError' | 'reset' | 'malformedJson';

export interface RandomFaults {
  /** Share of matching requests that get a fault (0..1). */
  fraction: number;
  /** Same seed, same requests faulted, same kinds drawn. */
  seed?: number;
  /** Drawn uniformly for each faulted request. Default: all four. */
  kinds?: RandomFaultKind[];
  /** Retry-After of a drawn 429 (default 1). */
  retryAfterSeconds?: number;
  /** Default `/v1/**`; `/api/token` for the accounts service. */
  path?: string | RegExp;
}

export interface FaultRule {
  /** Shown in stats().faultsFired. Defaults to `<kind>#<index>`. */
  name?: string;
  /**
   * Which paths (no query string) the rule watches: a glob where `*` is one path segment and `**` is
   * anything, or a RegExp. Default `/v1/**` (every Web API call, not the accounts service).
   */
  path?: string | RegExp;
  /** HTTP method to match; default any. */
  method?: string;
  /** Fire on exactly these matches (1-based), e.g. 3 or [2, 4]. */
  nth?: number | number[];
  /** Skip this many matches before firing (ignored when `nth` is given). Default 0. */
  after?: number;
  /** Fire at most this many times (ignored when `nth` is given). Default: no limit. */
  count?: number;
  action: FaultAction;
}

export interface FaultPlan {
  rules?: FaultRule[];
  /** Answer a seeded-random fraction of matching requests with 429. */
  randomRateLimit?: { fraction: number; seed?: number; retryAfterSeconds?: number; path?: string | RegExp };
  /** Seeded random faults of mixed kinds (a bad day): one spec, or several for different paths. */
  randomFaults?: RandomFaults | RandomFaults[];
  /** Every access token stops working (401 "The access token expired") after this many API calls. */
  expireTokenAfterApiCalls?: number;
  /**
   * Spotify's window is per app: while a Retry-After the fake sent is running, every Web API request gets
   * another 429 with the time that is left (and counts in stats().requestsDuringRetryAfter).
   */
  holdRetryAfter?: boolean;
}

export interface FaultDecision {
  delayMs: number;
  /** The answering fault, if any. */
  action: FaultAction | null;
  ruleName: string | null;
  /** Playlist edits (and tracks saved) to apply before the request is answered. */
  edits: Array<Extract<FaultAction, { kind: 'editPlaylist' | 'saveTrack' }>>;
}

const NO_FAULT: FaultDecision = { delayMs: 0, action: null, ruleName: null, edits: [] };

export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i += 1) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      source += '.*';
      i += 1;
    } else if (c === '*') {
      source += '[^/]*';
    } else {
      source += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

function toMatcher(path: string | RegExp | undefined): RegExp {
  if (path === undefined) return globToRegExp('/v1/**');
  return typeof path === 'string' ? globToRegExp(path) : path;
}

/** Throws an Error naming the rule and the field when a plan cannot mean anything sensible. */
export function validateFaultPlan(plan: FaultPlan): void {
  const bad = (where: string, what: string) => {
    throw new Error(`Invalid fault plan: ${where} ${what}`);
  };
  const nonNegInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  const nonNeg = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  (plan.rules ?? []).forEach((rule, i) => {
    const where = `rules[${i}]${rule.name ? ` (${rule.name})` : ''}`;
    if (!rule.action || typeof rule.action !== 'object') bad(where, 'needs an action, e.g. { kind: "rateLimit" }');
    const { action } = rule;
    const kinds = ['rateLimit', 'quota', 'serverError', 'delay', 'malformedJson', 'reset', 'expireToken', 'editPlaylist', 'saveTrack'];
    if (!kinds.includes(action.kind)) bad(where, `has unknown action kind "${String(action.kind)}"; use one of ${kinds.join(', ')}`);
    if ((action.kind === 'rateLimit' || action.kind === 'quota') && action.retryAfterSeconds !== undefined && !nonNeg(action.retryAfterSeconds)) {
      bad(where, 'retryAfterSeconds must be a number of seconds >= 0');
    }
    if (action.kind === 'editPlaylist' && (typeof action.playlistId !== 'string' || !['remove-first', 'move-last-to-first', undefined].includes(action.edit))) {
      bad(where, 'editPlaylist needs a playlistId and edit "remove-first" or "move-last-to-first"');
    }
    if (action.kind === 'serverError' && action.status !== undefined && ![500, 502, 503].includes(action.status)) {
      bad(where, 'serverError status must be 500, 502 or 503');
    }
    if (action.kind === 'delay' && !nonNegInt(action.ms)) bad(where, 'delay ms must be a whole number >= 0');
    const nths = rule.nth === undefined ? [] : Array.isArray(rule.nth) ? rule.nth : [rule.nth];
    if (nths.some((n) => !Number.isInteger(n) || n < 1)) bad(where, 'nth must be whole numbers >= 1 (the 1st match is 1)');
    if (rule.after !== undefined && !nonNegInt(rule.after)) bad(where, 'after must be a whole number >= 0');
    if (rule.count !== undefined && !nonNegInt(rule.count)) bad(where, 'count must be a whole number >= 0');
    if (typeof rule.path === 'string' && !rule.path.startsWith('/')) bad(where, `path "${rule.path}" must start with "/", e.g. /v1/playlists/*/items`);
  });
  const random = plan.randomRateLimit;
  if (random) {
    if (typeof random.fraction !== 'number' || !(random.fraction >= 0 && random.fraction <= 1)) {
      bad('randomRateLimit', 'fraction must be a number from 0 to 1');
    }
    if (random.seed !== undefined && !Number.isInteger(random.seed)) bad('randomRateLimit', 'seed must be an integer');
    if (random.retryAfterSeconds !== undefined && !nonNeg(random.retryAfterSeconds)) {
      bad('randomRateLimit', 'retryAfterSeconds must be a number of seconds >= 0');
    }
  }
  const mixes = plan.randomFaults === undefined ? [] : Array.isArray(plan.randomFaults) ? plan.randomFaults : [plan.randomFaults];
  mixes.forEach((mix, i) => {
    const where = `randomFaults[${i}]`;
    if (typeof mix.fraction !== 'number' || !(mix.fraction >= 0 && mix.fraction <= 1)) bad(where, 'fraction must be a number from 0 to 1');
    if (mix.seed !== undefined && !Number.isInteger(mix.seed)) bad(where, 'seed must be an integer');
    if (mix.retryAfterSeconds !== undefined && !nonNeg(mix.retryAfterSeconds)) bad(where, 'retryAfterSeconds must be a number of seconds >= 0');
    const allowed: RandomFaultKind[] = ['rateLimit', 'serverError', 'reset', 'malformedJson'];
    if (mix.kinds && (mix.kinds.length === 0 || mix.kinds.some((k) => !allowed.includes(k)))) bad(where, `kinds must be some of ${allowed.join(', ')}`);
    if (typeof mix.path === 'string' && !mix.path.startsWith('/')) bad(where, `path "${mix.path}" must start with "/"`);
  });
  if (plan.expireTokenAfterApiCalls !== undefined && !(Number.isInteger(plan.expireTokenAfterApiCalls) && plan.expireTokenAfterApiCalls >= 1)) {
    bad('expireTokenAfterApiCalls', 'must be a whole number >= 1');
  }
}

interface RuleState {
  rule: FaultRule;
  name: string;
  matcher: RegExp;
  nth: Set<number> | null;
  matches: number;
  fired: number;
}

export class FaultEngine {
  readonly plan: FaultPlan;
  private readonly rules: RuleState[];
  private readonly randomMatcher: RegExp | null;
  private readonly random: (() => number) | null;
  private readonly mixes: Array<{ mix: RandomFaults; matcher: RegExp; random: () => number }>;

  constructor(plan: FaultPlan = {}) {
    validateFaultPlan(plan);
    this.plan = plan;
    this.rules = (plan.rules ?? []).map((rule, i) => ({
      rule,
      name: rule.name ?? `${rule.action.kind}#${i}`,
      matcher: toMatcher(rule.path),
      nth: rule.nth === undefined ? null : new Set(Array.isArray(rule.nth) ? rule.nth : [rule.nth]),
      matches: 0,
      fired: 0,
    }));
    const random = plan.randomRateLimit;
    this.randomMatcher = random ? toMatcher(random.path) : null;
    this.random = random ? seededRandom(random.seed ?? 1) : null;
    const mixes = plan.randomFaults === undefined ? [] : Array.isArray(plan.randomFaults) ? plan.randomFaults : [plan.randomFaults];
    this.mixes = mixes.map((mix, i) => ({ mix, matcher: toMatcher(mix.path), random: seededRandom((mix.seed ?? 1) * 7919 + i) }));
  }

  decide(method: string, path: string): FaultDecision {
    if (this.rules.length === 0 && !this.random && this.mixes.length === 0) return NO_FAULT;
    let delayMs = 0;
    let action: FaultAction | null = null;
    let ruleName: string | null = null;
    const edits: FaultDecision['edits'] = [];
    for (const state of this.rules) {
      const { rule } = state;
      if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (!state.matcher.test(path)) continue;
      state.matches += 1;
      const fires = state.nth
        ? state.nth.has(state.matches)
        : state.matches > (rule.after ?? 0) && state.fired < (rule.count ?? Infinity);
      if (!fires) continue;
      if (rule.action.kind === 'delay') {
        state.fired += 1;
        delayMs += rule.action.ms;
      } else if (rule.action.kind === 'editPlaylist' || rule.action.kind === 'saveTrack') {
        state.fired += 1;
        edits.push(rule.action);
      } else if (action === null) {
        state.fired += 1;
        action = rule.action;
        ruleName = state.name;
      }
    }
    if (action === null && this.random && this.randomMatcher?.test(path)) {
      const random = this.plan.randomRateLimit!;
      if (this.random() < random.fraction) {
        action = { kind: 'rateLimit', retryAfterSeconds: random.retryAfterSeconds ?? 1 };
        ruleName = 'randomRateLimit';
      }
    }
    for (const { mix, matcher, random } of this.mixes) {
      if (action !== null || !matcher.test(path)) continue;
      // Two draws per matching request, always: the pattern depends only on the seed and the request order.
      const hit = random() < mix.fraction;
      const kinds = mix.kinds ?? ['rateLimit', 'serverError', 'reset', 'malformedJson'];
      const kind = kinds[Math.min(kinds.length - 1, Math.floor(random() * kinds.length))];
      if (!hit) continue;
      action = kind === 'rateLimit' ? { kind, retryAfterSeconds: mix.retryAfterSeconds ?? 1 } : kind === 'serverError' ? { kind, status: 503 } : { kind };
      ruleName = `randomFaults:${kind}`;
    }
    return { delayMs, action, ruleName, edits };
  }
}
