/** jest --globalTeardown of the local-run suite: stops the warm Spark session global-setup.ts started. */
import type { WarmSpark } from './warm-spark';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { warmSpark?: WarmSpark }).warmSpark?.stop();
}
