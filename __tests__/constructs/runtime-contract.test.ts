/**
 * The runtime contract (handlers/shared/runtime-contract.ts) holds on both sides: each function construct sets
 * exactly the environment variables the contract names, and each handler's depsFromEnvironment reads exactly those
 * names, given the environment as synthesised.
 */
import { resourceNames } from '../../config/pipeline-config';
import { depsFromEnvironment as extractDeps } from '../../handlers/extract/index';
import { depsFromEnvironment as startTransformDeps } from '../../handlers/start-transform/index';
import {
  EXTRACT_ENV,
  EXTRACT_SERVICE,
  METRICS_NAMESPACE,
  OUTCOME_METRICS,
  START_TRANSFORM_ENV,
  START_TRANSFORM_SERVICE,
} from '../../handlers/shared/runtime-contract';
import { findResource, synthPipeline, type Synthesised } from '../stacks/synth-helper';

/** Node's own setting, not part of what the handler reads. */
const RUNTIME_ONLY = ['NODE_OPTIONS'];

/** Calls `read(env)` with the given variables and gives the names it looked up. */
function namesRead(variables: Record<string, string>, read: (env: NodeJS.ProcessEnv) => unknown): string[] {
  const seen = new Set<string>();
  const env = new Proxy(variables, {
    get(target, name) {
      if (typeof name === 'string') seen.add(name);
      return target[name as string];
    },
  });
  read(env);
  return [...seen].sort();
}

describe('runtime contract of the Lambdas (dev: plays polled, so the plays batch is on)', () => {
  let s: Synthesised;
  const variables = (functionName: string): Record<string, string> =>
    findResource(s.compute, 'aws_lambda_function', (r) => r.function_name === functionName).environment.variables;
  beforeAll(() => {
    s = synthPipeline();
  });

  it('the extract construct sets exactly the variables of the contract, and the handler reads exactly those', () => {
    const vars = variables(resourceNames(s.config).extractFunction);
    const contract = Object.values(EXTRACT_ENV).sort();
    expect(Object.keys(vars).filter((n) => !RUNTIME_ONLY.includes(n)).sort()).toEqual(contract);
    expect(namesRead(vars, extractDeps)).toEqual(contract);
    expect(vars[EXTRACT_ENV.serviceName]).toBe(EXTRACT_SERVICE);
    expect(vars[EXTRACT_ENV.metricsNamespace]).toBe(METRICS_NAMESPACE);
  });

  it('the start-transform construct sets exactly the variables of the contract; the handler reads all but the metric namespace', () => {
    const vars = variables(resourceNames(s.config).startTransformFunction);
    const contract = Object.values(START_TRANSFORM_ENV).sort();
    expect(Object.keys(vars).filter((n) => !RUNTIME_ONLY.includes(n)).sort()).toEqual(contract);
    // The function emits no metrics yet: the namespace is set for when it does, and read by nothing today.
    expect(namesRead(vars, startTransformDeps)).toEqual(contract.filter((n) => n !== START_TRANSFORM_ENV.metricsNamespace));
    expect(vars[START_TRANSFORM_ENV.serviceName]).toBe(START_TRANSFORM_SERVICE);
    expect(vars[START_TRANSFORM_ENV.playsBatchDays]).toMatch(/^\d+$/);
  });

  it('the PlaysStored alarm watches the metric the extract emits, under its namespace and service', () => {
    const alarm = findResource(s.compute, 'aws_cloudwatch_metric_alarm', (a) => a.metric_name === OUTCOME_METRICS.playsStored);
    expect(alarm.namespace).toBe(METRICS_NAMESPACE);
    expect(alarm.dimensions).toEqual({ service: EXTRACT_SERVICE, environment: s.config.environment });
  });

  it('the StoppedEarly alarm watches the metric the extract emits, under its namespace and service', () => {
    const alarm = findResource(s.compute, 'aws_cloudwatch_metric_alarm', (a) => a.metric_name === OUTCOME_METRICS.stoppedEarly);
    expect(alarm.namespace).toBe(METRICS_NAMESPACE);
    expect(alarm.dimensions).toEqual({ service: EXTRACT_SERVICE, environment: s.config.environment });
  });
});
