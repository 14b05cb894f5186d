/**
 * cdktf entry point: synthesises the storage, compute and warehouse stacks of one environment.
 * The environment is PIPELINE_ENV (dev when unset) or a config file path; see config/environments/.
 *   npx cdktf synth                     # dev
 *   PIPELINE_ENV=prod npx cdktf synth   # prod (remote state when prod.json names a state bucket)
 */
import { ConfigError, loadConfig } from './config/pipeline-config';
import { buildPipelineApp } from './stacks/app';

try {
  const config = loadConfig(process.env.PIPELINE_ENV ?? 'dev');
  buildPipelineApp(config).app.synth();
} catch (error) {
  // A bad configuration is the user's to fix: say what is wrong without a stack trace.
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
