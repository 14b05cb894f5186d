import {
  generateCatalog,
  loadSampleCatalog,
  SAMPLE_FRIEND_COLLAB_PLAYLIST_ID,
  SAMPLE_PLAYLIST_IDS,
  SAMPLE_USER_ID,
  TIME_RANGES,
  type CatalogEntry,
} from '../../../local/fakes/spotify/catalog';

const BASE62_22 = /^[0-9A-Za-z]{22}$/;

describe('the bundled sample catalog', () => {
  const catalog = loadSampleCatalog();
  const owned = catalog.playlists.filter((p) => p.ownerId === SAMPLE_USER_ID);
  const entries: CatalogEntry[] = catalog.playlists.flatMap((p) => p.entries);
  const trackNames = entries.flatMap((e) => (e.content.type === 'track' ? [catalog.tracks[e.content.id].name] : []));

  it('is identical on every load and safe to mutate', () => {
    const again = loadSampleCatalog();
    expect(again).toEqual(catalog);
    again.playlists[0].entries.pop();
    expect(loadSampleCatalog()).toEqual(catalog);
  });

  it('has the playlists the local configuration lists, owned by the sample user', () => {
    for (const id of ['4rOoJ6Egrf8K2IrywzwOMk', '1h0CEZCm6IbFTbxThn6Xcs', '6UeSakyzhiEt4NB3UAd6NQ']) {
      expect(owned.map((p) => p.id)).toContain(id);
    }
    expect(owned.map((p) => p.id)).toEqual(SAMPLE_PLAYLIST_IDS.owned);
    expect(owned.length).toBeGreaterThanOrEqual(6);
    expect(owned.filter((p) => p.collaborative)).toHaveLength(1);
  });

  it('uses 22-character base62 ids everywhere and never reuses one', () => {
    const ids = [
      ...catalog.playlists.map((p) => p.id),
      ...Object.keys(catalog.tracks),
      ...Object.keys(catalog.albums),
      ...Object.keys(catalog.artists),
      ...Object.keys(catalog.episodes),
      ...Object.keys(catalog.shows),
    ];
    ids.forEach((id) => expect(id).toMatch(BASE62_22));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('lists the editorial 404 id and a playlist owned by someone else', () => {
    expect(catalog.editorialPlaylistIds).toEqual(['37i9dQZEVXbMDoHDwVN2tF']);
    expect(catalog.playlists.find((p) => p.id === SAMPLE_PLAYLIST_IDS.notFound)).toBeUndefined();
    const forbidden = catalog.playlists.find((p) => p.id === SAMPLE_PLAYLIST_IDS.forbidden)!;
    expect(forbidden.ownerId).not.toBe(SAMPLE_USER_ID);
    expect(forbidden.collaborators).not.toContain(SAMPLE_USER_ID);
    const friends = catalog.playlists.find((p) => p.id === SAMPLE_FRIEND_COLLAB_PLAYLIST_ID)!;
    expect(friends.ownerId).not.toBe(SAMPLE_USER_ID);
    expect(friends.collaborators).toContain(SAMPLE_USER_ID);
  });

  it('has at least 500 items, several playlists over one page of 50 and one over 100', () => {
    expect(entries.length).toBeGreaterThanOrEqual(500);
    expect(owned.reduce((n, p) => n + p.entries.length, 0)).toBeGreaterThanOrEqual(500);
    expect(owned.filter((p) => p.entries.length > 50).length).toBeGreaterThanOrEqual(3);
    expect(owned.some((p) => p.entries.length > 100)).toBe(true);
    expect(owned.some((p) => p.entries.length === 0)).toBe(true);
  });

  it('contains a null item, episodes and a local file without an id', () => {
    expect(entries.some((e) => e.content.type === 'missing')).toBe(true);
    expect(entries.filter((e) => e.content.type === 'episode').length).toBeGreaterThanOrEqual(3);
    expect(entries.some((e) => e.content.type === 'local')).toBe(true);
  });

  it('has every release date precision, and "0000"', () => {
    const albums = Object.values(catalog.albums);
    expect(albums.some((a) => a.releaseDatePrecision === 'year' && /^\d{4}$/.test(a.releaseDate) && a.releaseDate !== '0000')).toBe(true);
    expect(albums.some((a) => a.releaseDatePrecision === 'month' && /^\d{4}-\d{2}$/.test(a.releaseDate))).toBe(true);
    expect(albums.some((a) => a.releaseDatePrecision === 'day' && /^\d{4}-\d{2}-\d{2}$/.test(a.releaseDate))).toBe(true);
    expect(albums.some((a) => a.releaseDate === '0000')).toBe(true);
    expect(albums.find((a) => a.releaseDate === '1998')).toBeDefined();
    expect(albums.find((a) => a.releaseDate === '2003-07')).toBeDefined();
  });

  it('has an old playlist whose added_at (and added_by) are null', () => {
    const old = catalog.playlists.find((p) => p.entries.length > 0 && p.entries.every((e) => e.addedAt === null))!;
    expect(old).toBeDefined();
    expect(old.entries.every((e) => e.addedBy === null)).toBe(true);
  });

  it('has names in other scripts and with awkward punctuation', () => {
    const names = [...trackNames, ...Object.values(catalog.artists).map((a) => a.name), ...catalog.playlists.map((p) => p.name)];
    expect(names.some((n) => /[\u3040-\u30ff\u4e00-\u9fff]/.test(n))).toBe(true); // Japanese
    expect(names.some((n) => /[\u0400-\u04ff]/.test(n))).toBe(true); // Cyrillic
    expect(names.some((n) => /[\u0600-\u06ff]/.test(n))).toBe(true); // Arabic
    expect(names.some((n) => /\p{Extended_Pictographic}/u.test(n))).toBe(true); // emoji
    expect(names.some((n) => n.includes(','))).toBe(true);
    expect(names.some((n) => n.includes('"'))).toBe(true);
    expect(names.some((n) => n.includes("'"))).toBe(true);
    expect(names.some((n) => n.includes('\n'))).toBe(true);
  });

  it('has the same track in two playlists and twice in one playlist', () => {
    const perPlaylist = catalog.playlists.map(
      (p) => new Set(p.entries.flatMap((e) => (e.content.type === 'track' ? [e.content.id] : []))),
    );
    const inTwo = Object.keys(catalog.tracks).some((id) => perPlaylist.filter((s) => s.has(id)).length >= 2);
    expect(inTwo).toBe(true);
    const twiceInOne = catalog.playlists.some((p) => {
      const ids = p.entries.flatMap((e) => (e.content.type === 'track' ? [e.content.id] : []));
      return new Set(ids).size < ids.length;
    });
    expect(twiceInOne).toBe(true);
  });

  it('has tracks with several artists, and every reference resolves', () => {
    expect(Object.values(catalog.tracks).some((t) => t.artistIds.length >= 3)).toBe(true);
    for (const track of Object.values(catalog.tracks)) {
      expect(catalog.albums[track.albumId]).toBeDefined();
      track.artistIds.forEach((a) => expect(catalog.artists[a]).toBeDefined());
      expect(track.isrc).toMatch(/^[A-Z]{2}[A-Z0-9]{3}\d{7}$/);
    }
    for (const entry of entries) {
      if (entry.content.type === 'track') expect(catalog.tracks[entry.content.id]).toBeDefined();
      if (entry.content.type === 'episode') expect(catalog.shows[catalog.episodes[entry.content.id].showId]).toBeDefined();
      if (entry.addedBy) expect(catalog.users[entry.addedBy]).toBeDefined();
    }
  });

  it('has top tracks and top artists for all three time ranges, more than one page for some', () => {
    for (const range of TIME_RANGES) {
      expect(catalog.top.tracks[range].length).toBeGreaterThan(0);
      expect(catalog.top.artists[range].length).toBeGreaterThan(0);
      expect(new Set(catalog.top.tracks[range]).size).toBe(catalog.top.tracks[range].length);
      catalog.top.tracks[range].forEach((id) => expect(catalog.tracks[id]).toBeDefined());
      catalog.top.artists[range].forEach((id) => expect(catalog.artists[id]).toBeDefined());
    }
    expect(catalog.top.tracks.long_term.length).toBeGreaterThan(50);
  });
});

describe('generateCatalog', () => {
  it('builds the asked size, deterministically per seed', () => {
    // The 50 x 1000 benchmark size is exercised by bench/, not here: same code, just more of it.
    const big = generateCatalog({ playlists: 6, itemsPerPlaylist: 400, seed: 7 });
    expect(big.playlists).toHaveLength(6);
    expect(new Set(big.playlists.map((p) => p.id)).size).toBe(6);
    big.playlists.forEach((p) => {
      expect(p.entries).toHaveLength(400);
      expect(p.ownerId).toBe(SAMPLE_USER_ID);
      expect(p.id).toMatch(BASE62_22);
    });
    const small = { playlists: 3, itemsPerPlaylist: 20, seed: 7 };
    expect(generateCatalog(small)).toEqual(generateCatalog(small));
    expect(generateCatalog({ ...small, seed: 8 })).not.toEqual(generateCatalog(small));
  });

  it('rejects sizes it cannot mean, naming the option', () => {
    expect(() => generateCatalog({ playlists: 0, itemsPerPlaylist: 10 })).toThrow(/playlists must be an integer/);
    expect(() => generateCatalog({ playlists: 2, itemsPerPlaylist: 1.5 })).toThrow(/itemsPerPlaylist must be an integer/);
  });
});
