"""Each awkward case the Spotify API produces, one test each, checked on the transformed fixture run."""

from __future__ import annotations

import datetime as dt


def by(rows, *keys):
    return {tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: r for r in rows}


def test_null_track_is_kept_as_missing_and_stays_out_of_the_dimensions(spark, golden):
    bucket, _ = golden
    row = by(bucket.rows(spark, "playlist_tracks"), "playlist_id", "position")[("pl1AAAAAAAAAAAAAAAAAAA", 1)]
    assert (row["item_type"], row["item_id"], row["track_id"], row["added_at"]) == ("missing", None, None, None)


def test_episode_is_kept_in_playlist_tracks_but_is_not_a_track(spark, golden):
    bucket, _ = golden
    row = by(bucket.rows(spark, "playlist_tracks"), "playlist_id", "position")[("pl1AAAAAAAAAAAAAAAAAAA", 2)]
    assert (row["item_type"], row["item_id"], row["item_name"], row["track_id"]) == ("episode", "ep1", "Podcast Episode 7", None)
    assert "ep1" not in by(bucket.rows(spark, "tracks"), "track_id")


def test_local_file_without_id_is_kept_and_excluded_from_dimensions(spark, golden):
    bucket, _ = golden
    row = by(bucket.rows(spark, "playlist_tracks"), "playlist_id", "position")[("pl1AAAAAAAAAAAAAAAAAAA", 3)]
    assert (row["item_type"], row["is_local"], row["item_id"], row["track_id"]) == ("local_track", True, None, None)
    assert row["item_name"] == "My Demo (local)"
    # Its album and artist have no ids either: nothing of it reaches albums/artists.
    assert {r["artist_name"] for r in bucket.rows(spark, "artists")}.isdisjoint({"Me"})
    assert all(r["album_name"] for r in bucket.rows(spark, "albums"))


def test_release_date_year_month_day_and_0000(spark, golden):
    bucket, _ = golden
    albums = by(bucket.rows(spark, "albums"), "album_id")
    got = {k: (a["release_date"], a["release_date_precision"], a["release_date_raw"]) for k, a in albums.items()}
    assert got == {
        "al1": (dt.date(1999, 1, 1), "year", "1999"),
        "al2": (dt.date(2011, 5, 1), "month", "2011-05"),
        "al3": (None, "year", "0000"),  # a null date, not year 0 and not a crash
        "al4": (dt.date(2019, 7, 15), "day", "2019-07-15"),
        "al5": (None, None, "soon"),  # garbage: null date, raw kept
    }


def test_added_at_null_or_unparseable_is_a_null_timestamp(spark, golden):
    bucket, _ = golden
    rows = by(bucket.rows(spark, "playlist_tracks"), "playlist_id", "position")
    assert rows[("pl1AAAAAAAAAAAAAAAAAAA", 1)]["added_at"] is None  # "added_at": null (old playlists)
    assert rows[("pl2BBBBBBBBBBBBBBBBBBB", 2)]["added_at"] is None  # "not a date"
    assert rows[("pl1AAAAAAAAAAAAAAAAAAA", 4)]["added_at"] == dt.datetime(2026, 2, 3, 4, 5, 6, 789000)


def test_duplicate_track_in_two_playlists_and_twice_in_one_is_one_tracks_row(spark, golden):
    bucket, _ = golden
    positions = [r for r in bucket.rows(spark, "playlist_tracks") if r["track_id"] == "tr1"]
    assert len(positions) == 3  # twice in pl1, once in pl2: every position kept
    tracks = [r for r in bucket.rows(spark, "tracks") if r["track_id"] == "tr1"]
    assert len(tracks) == 1
    assert len([r for r in bucket.rows(spark, "albums") if r["album_id"] == "al1"]) == 1
    bridge = [r for r in bucket.rows(spark, "track_artists") if r["track_id"] == "tr1"]
    assert len(bridge) == 2
    for table, key in (("tracks", "track_id"), ("albums", "album_id"), ("artists", "artist_id")):
        ids = [r[key] for r in bucket.rows(spark, table)]
        assert len(ids) == len(set(ids)), table


def test_multiple_artists_keep_their_credit_order(spark, golden):
    bucket, _ = golden
    bridge = sorted(
        (r["track_id"], r["artist_position"], r["artist_id"]) for r in bucket.rows(spark, "track_artists") if r["track_id"] in ("tr1", "tr4")
    )
    assert bridge == [("tr1", 0, "ar1"), ("tr1", 1, "ar2"), ("tr4", 0, "ar2"), ("tr4", 1, "ar1")]


def test_absent_popularity_is_null_and_present_popularity_an_integer(spark, golden):
    bucket, _ = golden
    tracks = by(bucket.rows(spark, "tracks"), "track_id")
    assert tracks["tr1"]["popularity"] == 55
    assert tracks["tr2"]["popularity"] is None  # field absent (development-mode apps)
    assert tracks["tr4"]["popularity"] is None  # field null
    assert tracks["tr5"]["duration_ms"] is None  # "n/a": a value of the wrong type is null, not a crash
    assert by(bucket.rows(spark, "albums"), "album_id")["al5"]["total_tracks"] == 7  # "7" as a string still counts


def test_full_artist_object_wins_over_a_track_credit(spark, golden):
    bucket, _ = golden
    ar1 = by(bucket.rows(spark, "artists"), "artist_id")["ar1"]
    assert (ar1["genres"], ar1["followers_total"], ar1["popularity"]) == ("k-pop,dance pop", 1234, 80)


def test_non_latin_comma_quote_and_newline_names_round_trip(spark, golden):
    bucket, _ = golden
    assert by(bucket.rows(spark, "tracks"), "track_id")["tr1"]["track_name"] == 'Déjà Vu, "Live"\nTake 2'
    assert by(bucket.rows(spark, "tracks"), "track_id")["tr2"]["track_name"] == "Песня"
    assert by(bucket.rows(spark, "artists"), "artist_id")["ar2"]["artist_name"] == 'Second, "The" Artist'
    assert by(bucket.rows(spark, "playlist_snapshots"), "playlist_id")["pl2BBBBBBBBBBBBBBBBBBB"]["playlist_name"] == "東京 Nights"


def test_item_is_read_before_the_deprecated_track_alias(spark, golden):
    bucket, _ = golden
    # pl1 position 0 carries a full `item` and a thin `track`; position 4 carries only `track`.
    tracks = by(bucket.rows(spark, "tracks"), "track_id")
    assert tracks["tr1"]["isrc"] == "USABC9900001"  # only in `item`
    assert tracks["tr2"]["track_name"] == "Песня"  # only in `track`
