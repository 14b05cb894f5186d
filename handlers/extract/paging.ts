/**
 * Paging through Spotify's offset-paged lists (a playlist's items, a top list, the saved tracks, the user's
 * playlists): shared by the catalogue fetches (fetch-entities.ts) and the listener documents (listening.ts).
 */

export type Json = Record<string, unknown>;

export const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** Offsets after the first page, for a list of `total` items in pages of `pageSize`. */
function laterOffsets(total: number, pageSize: number): number[] {
  const offsets: number[] = [];
  for (let offset = pageSize; offset < total; offset += pageSize) offsets.push(offset);
  return offsets;
}

/** Pages fetched one after another when a server sends no `total`: past this, something is wrong. */
const MAX_SEQUENTIAL_PAGES = 2_000;

/**
 * Every page of a paged list. The first page says how many items there are; the others are fetched
 * concurrently, stepping by the page size the server really used (a Spotify-compatible server may cap `limit`
 * lower than asked). A server that sends no `total` is followed page by page until a short or last page.
 */
export async function allPages(pageSize: number, page: (offset: number) => Promise<Json>): Promise<Json[]> {
  const first = await page(0);
  const firstItems = asArray(first.items).length;
  if (typeof first.total === 'number') {
    // The page size the server says it used; a server that does not say is judged by the first page's length.
    const used = typeof first.limit === 'number' && Number.isInteger(first.limit) && first.limit > 0 ? Math.min(first.limit, pageSize) : null;
    const step = used ?? (firstItems > 0 && firstItems < pageSize && first.total > firstItems ? firstItems : pageSize);
    const rest = await Promise.all(laterOffsets(first.total, step).map(page));
    return [first, ...rest];
  }
  const pages = [first];
  let offset = firstItems;
  let last = first;
  while (asArray(last.items).length > 0 && last.next !== null && last.next !== undefined && pages.length < MAX_SEQUENTIAL_PAGES) {
    last = await page(offset);
    pages.push(last);
    offset += asArray(last.items).length;
  }
  return pages;
}
