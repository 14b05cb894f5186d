/**
 * The one health view (`pipeline status`): per listener and stage the last success, each listener's refresh-token
 * days left, failing checks, the pipes' state and the alarms in alarm, and from them the problems a user must act
 * on, each naming what to do. The thresholds are the ones the deployed alarms use (health-thresholds), so what
 * the view calls a problem is what the account alarms on.
 */
import type { PipeStatus } from '../../warehouse/snowflake-warehouse';
import type { CheckResult } from '../../warehouse/checks';
import { EXPIRY_WARNING_DAYS } from '../../handlers/shared/token-lifetime';
import type { ListenerStages, Stage } from './listener-stages';


export interface TokenHealth {
  listener: string;
  /** When the listener authorised the app (the six months count from there); null: not recorded. */
  authorizedAt: string | null;
  expiresAt: string | null;
  daysLeft: number | null;
}

export interface AlarmInAlarm {
  name: string;
  reason: string;
  since: string | null;
}

export interface HealthThresholds {
  /** A weekly extract older than this is missing (the schedule's week plus a day of grace). */
  weeklyMaxAgeHours: number;
  /** No plays poll for this long (only when plays are polled). */
  playsMaxAgeHours: number | null;
  /** An extract not transformed (or loaded) this long after it finished is stuck. */
  stageLagHours: number;
  /** Token expiry warned this many days ahead. */
  tokenWarningDays: number;
}

/** The defaults of the configuration's `freshness` block and of the token-expiry alarm (EXPIRY_WARNING_DAYS). */
export const DEFAULT_THRESHOLDS: HealthThresholds = { weeklyMaxAgeHours: 8 * 24, playsMaxAgeHours: 24, stageLagHours: 6, tokenWarningDays: EXPIRY_WARNING_DAYS };

export interface HealthInput {
  target: 'local' | 'aws' | 'snowflake';
  where: string;
  now: Date;
  listeners: ListenerStages[];
  tokens: TokenHealth[] | null;
  checks: CheckResult[] | null;
  pipes: PipeStatus[] | null;
  alarms: AlarmInAlarm[] | null;
  unreadable: Array<{ key: string; error: string }>;
  /** The command that re-authorises a listener, for the advice (e.g. `npm run pipeline -- authorize --listener NAME`). */
  authorizeCommand: (listener: string) => string;
  thresholds: HealthThresholds;
}

/** What a problem is about: the same kind and subject on two reports is the same problem still going on. */
export type ProblemKind =
  | 'unreadable-manifest'
  | 'weekly-extract-missing'
  | 'plays-missing'
  | 'plays-gap'
  | 'stage-behind'
  | 'token-expired'
  | 'token-expiring'
  | 'token-unrecorded'
  | 'check-failed'
  | 'pipe-not-running'
  | 'alarm';

export interface Problem {
  kind: ProblemKind;
  /** The listener, check, pipe or alarm it concerns. */
  subject: string;
  /** What happened and what to do, in one line. */
  message: string;
  /** Which occurrence, where one subject can have several (a plays gap: the poll's run id). */
  episode?: string;
}

export interface HealthReport extends Omit<HealthInput, 'authorizeCommand' | 'thresholds' | 'now'> {
  at: string;
  problems: Problem[];
}

const HOUR = 3_600_000;

function hoursSince(now: Date, at: string | null): number | null {
  return at === null ? null : (now.getTime() - Date.parse(at)) / HOUR;
}

function stageOf(listener: ListenerStages, name: Stage) {
  return listener.stages.find((s) => s.stage === name);
}

function stageProblems(input: HealthInput, listener: ListenerStages): Problem[] {
  const { now, thresholds } = input;
  const problems: Problem[] = [];
  const add = (kind: ProblemKind, message: string, episode?: string) =>
    problems.push({ kind, subject: listener.listener, message: `${listener.listener}: ${message}`, ...(episode ? { episode } : {}) });
  const weekly = stageOf(listener, 'weekly extract')!;
  const weeklyAge = hoursSince(now, weekly.lastSuccess);
  if (weeklyAge === null || weeklyAge > thresholds.weeklyMaxAgeHours) {
    add(
      'weekly-extract-missing',
      `no weekly extract ${weekly.lastSuccess ? `since ${weekly.lastSuccess}` : 'in the window'} ` +
        `(expected every week): look at the extract's logs and the failures queue, or run \`pipeline extract\`.`,
    );
  }
  const plays = stageOf(listener, 'plays poll')!;
  const playsAge = hoursSince(now, plays.lastSuccess);
  if (thresholds.playsMaxAgeHours !== null && (playsAge === null || playsAge > thresholds.playsMaxAgeHours)) {
    add(
      'plays-missing',
      `no plays poll ${plays.lastSuccess ? `since ${plays.lastSuccess}` : 'in the window'}: ` +
        'Spotify keeps only the last 50 plays, so older ones are being lost. Check the listener\'s token and the plays schedule.',
    );
  }
  for (const gap of listener.gaps) {
    add('plays-gap', `plays may be missing between ${gap.cursorBefore} and ${gap.oldestNewPlay ?? 'the poll'} (run ${gap.runId}): more than 50 were played between two polls that reached Spotify.`, gap.runId);
  }
  const newest = [weekly, plays].map((s) => s.lastSuccess).filter((s): s is string => s !== null).sort().pop() ?? null;
  for (const name of ['transform', 'load'] as const) {
    const done = stageOf(listener, name);
    if (!done || newest === null) continue;
    const lag = hoursSince(now, newest)!;
    if ((done.lastSuccess === null || done.lastSuccess < newest) && lag > thresholds.stageLagHours) {
      add('stage-behind', `the extract of ${newest} is not ${name === 'transform' ? 'transformed' : 'loaded'} after ${Math.floor(lag)} h: run \`pipeline ${name}\` and see its error.`);
    }
  }
  return problems;
}

function tokenProblems(input: HealthInput, token: TokenHealth): Problem[] {
  const command = input.authorizeCommand(token.listener);
  const problem = (kind: ProblemKind, message: string): Problem[] => [{ kind, subject: token.listener, message: `${token.listener}: ${message}` }];
  if (token.daysLeft === null) {
    return problem('token-unrecorded', `when the refresh token was authorised is not recorded, so its six-month expiry is unknown: run \`${command}\` to start a known count.`);
  }
  if (token.expiresAt !== null && Date.parse(token.expiresAt) <= input.now.getTime()) {
    return problem('token-expired', `the refresh token expired on ${token.expiresAt} (six months after authorising): run \`${command}\`.`);
  }
  if (token.daysLeft <= input.thresholds.tokenWarningDays) {
    return problem('token-expiring', `the refresh token expires in ${token.daysLeft} day(s), on ${token.expiresAt}: run \`${command}\` before then.`);
  }
  return [];
}

export function healthReport(input: HealthInput): HealthReport {
  const problems: Problem[] = [
    ...input.unreadable.map((u) => ({ kind: 'unreadable-manifest' as const, subject: u.key, message: `unreadable manifest ${u.key}: ${u.error}` })),
    ...input.listeners.flatMap((l) => stageProblems(input, l)),
    ...(input.tokens ?? []).flatMap((t) => tokenProblems(input, t)),
    ...(input.checks ?? [])
      .filter((c) => !c.passed)
      .map((c) => ({ kind: 'check-failed' as const, subject: `${c.table}.${c.check}`, message: `check ${c.check} on ${c.table} failed: ${c.detail}` })),
    ...(input.pipes ?? [])
      .filter((p) => p.executionState !== 'RUNNING' || p.error)
      .map((p) => ({
        kind: 'pipe-not-running' as const,
        subject: p.pipe,
        message: `pipe ${p.pipe} is ${p.executionState}${p.error ? ` (${p.error})` : ''}: see \`pipeline status --target snowflake\` and SYSTEM$PIPE_STATUS.`,
      })),
    ...(input.alarms ?? []).map((a) => ({ kind: 'alarm' as const, subject: a.name, message: `alarm ${a.name} is in ALARM${a.since ? ` since ${a.since}` : ''}: ${a.reason}` })),
  ];
  const { authorizeCommand: _command, thresholds: _thresholds, now, ...rest } = input;
  return { ...rest, at: now.toISOString(), problems };
}
