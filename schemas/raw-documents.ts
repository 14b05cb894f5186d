/**
 * TypeScript view of schemas/raw-documents.json, the ONE declaration of the raw layer: the bucket layout, run ids,
 * the manifest, the document kinds and their count fields. The Glue job reads the same JSON from Python
 * (glue/spotify_transform/raw_documents.py).
 */
import rawDocumentsJson from './raw-documents.json';

export const RAW_DOCUMENTS = rawDocumentsJson;

/** Key prefixes of the bucket; every IAM policy is narrowed to these. */
export const BUCKET_PREFIXES = {
  raw: rawDocumentsJson.bucket.prefixes.raw,
  processed: rawDocumentsJson.bucket.prefixes.processed,
  rejects: rawDocumentsJson.bucket.prefixes.rejects,
  artifacts: rawDocumentsJson.bucket.prefixes.artifacts,
  glueTemp: rawDocumentsJson.bucket.prefixes.glue_temp,
  /** Run claims (handlers/shared/run-claim.ts): one small object per scheduled run / transform start. */
  claims: rawDocumentsJson.bucket.prefixes.claims,
} as const;
