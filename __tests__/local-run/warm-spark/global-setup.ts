/**
 * jest --globalSetup for the local-run suite (scripts/test-all.ts): one warm Spark session for all its files instead
 * of one per file (each start costs a JVM and its JIT warm-up). The files run in band in this process, so the
 * environment startWarmSpark() sets (PIPELINE_PYTHON, WARM_SPARK_SOCKET) reaches them; global-teardown.ts stops it.
 */
import { startWarmSpark } from './warm-spark';

export default async function globalSetup(): Promise<void> {
  (globalThis as { warmSpark?: unknown }).warmSpark = await startWarmSpark();
}
