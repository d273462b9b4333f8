"""A seeded generator of music libraries that look like one person's collection.

The same ``seed`` and arguments always give the same library (same keys, names, ratings and tags).
Every case plexrate's rules care about is present from a few hundred tracks up: artists with several
albums, sparse half-star track ratings driven by hidden album and artist quality, a few manual album
and artist ratings, critic ratings, "Various Artists" compilations with track artists,
greatest-hits albums repeating studio recordings (twins), live albums, "(Live)", "(Remastered 2011)"
and "[Demo]" titles, short filler tracks, "The …" names with a sort title, digits, punctuation,
non-ASCII letters, tracks without a duration and some moods the person set.

The truth behind the ratings is kept under ``latent`` (see ``library.py``): each track's
``true_rating`` (the half-star value the person would give it, on Plex's 0–10 scale) and
``recording`` (copies of one recording share it), each album's and artist's ``quality``.

Two things about the person are configurable. ``selection`` picks who rates: ``None`` keeps the
original person (albums heard by taste, tracks on them rated at random), the ``Selection`` levels a
person who rates more of what they like, loves and hates more than they shrug, and rarely rates
albums they have not heard. ``play_signal`` (0–1) says how closely plays, skips and popularity
follow the person's taste: 0 is noise, 1 a strong signal. Plays come from a random stream of their
own, so they never change the rest of the library.
"""

from __future__ import annotations

import math
import random
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from enum import StrEnum

from plexrate.emulator.library import (
    EMPTY,
    AlbumItem,
    ArtistItem,
    EmulatorLibrary,
    Section,
    ServerInfo,
    TrackItem,
)

VARIOUS_ARTISTS = "Various Artists"


class Selection(StrEnum):
    """How strongly a selective person's choice of what to rate follows their taste."""

    NONE = "none"
    """Which albums are heard and which tracks rated has nothing to do with taste."""
    MODERATE = "moderate"
    """Heard albums are better ones (as for the original person); on them, liked, loved and
    hated tracks are rated more often than middling ones."""
    STRONG = "strong"
    """Twice the moderate person's preference, at album and at track level."""

    @property
    def strength(self) -> float:
        return _SELECTION_STRENGTH[self]


_SELECTION_STRENGTH = {Selection.NONE: 0.0, Selection.MODERATE: 1.0, Selection.STRONG: 2.0}
DEFAULT_PLAY_SIGNAL = 0.5
MUSIC_SECTION_KEY = 3
MOVIE_SECTION_KEY = 1


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(sep))


_ADJECTIVES = _words(
    "Electric Silent Golden Broken Velvet Hollow Crimson Paper Neon Quiet Restless Wild Distant "
    "Burning Frozen Hidden Lonely Midnight Northern Painted Rusty Secret Shining Sleeping Southern "
    "Tender Wandering Wicked Young Ancient Blue Bright Cosmic Crystal Dusty Empty Fading Falling "
    "Gentle Heavy Lucky Magnetic Marble Mellow Morning Pale Radiant Rolling Savage Scarlet Silver "
    "Solar Static Sugar Twilight Urban Violet Amber Copper"
)
_NOUNS = _words(
    "Heart River Mountain Highway Garden Mirror Shadow Engine Harbor Window Letter Train Island "
    "Forest Fire Ghost Horizon Lantern Machine Ocean Planet Rain Road Signal Sky Storm Street "
    "Summer Tide Tower Valley Voice Wave Wheel Wind Wolf Anchor Arrow Bell Bird Bridge Candle "
    "Canyon Circle City Cloud Comet Crown Dream Echo Feather Flame Flower Glass Hammer Hunter Key "
    "Kingdom Lion Moon Night Orchid Pilot Queen Radio Rose Sailor Satellite Season Silence Song "
    "Star Stone Sun Thief Thunder Traveler Winter Diamond Stranger"
)
_GERUNDS = _words(
    "Chasing|Waiting for|Dancing with|Running from|Dreaming of|Falling for|Looking for|Holding|"
    "Breaking|Calling|Counting|Drifting to|Fighting|Finding|Leaving|Losing|Missing|Saving|"
    "Singing to|Talking to|Walking|Watching|Writing to",
    "|",
)
_VERBS = "Stop|Look Back|Let Go|Wait|Cry|Run|Forget Me|Leave|Change|Fade Away|Lie|Turn Around"
_VERB_LIST = _VERBS.split("|")
_FIRST = _words(
    "Ada Ben Clara Daniel Elena Felix Grace Hugo Iris Jonas Kara Leo Maya Nico Olive Paul Quinn "
    "Rosa Sam Tessa Uma Victor Wren Xavier Yara Zane Zoë Björn Chloé José Søren Renée Ángel "
    "Mikaël Noémie Jürgen Łukasz Dagný Siân André Marta Omar Priya Kenji Lena Ivan Nadia Tomás "
    "Ingrid Malik"
)
_LAST = _words(
    "Archer|Bishop|Carter|Dalton|Ellis|Fischer|Garcia|Hart|Ibsen|Jensen|Keller|Lindqvist|Moreau|"
    "Nakamura|Olsen|Parker|Quintero|Rivers|Santos|Turner|Underwood|Vance|Walsh|Young|Zimmerman|"
    "Åkesson|Müller|Núñez|Østergaard|Dvořák|Sørensen|Brontë|Ferreira|Kowalski|Haddad|O'Brien|"
    "McAllister|St. James|Delacroix|Moreno",
    "|",
)
_ACCENTED = _words(
    "Café|Fête|Naïve|Über|Déjà Vu|Mañana|Señorita|Smörgåsbord|Crème|Résumé|Bête Noire|Jalapeño|"
    "Façade|Zürich|Ålesund|Piñata|Garçon|Fiancée",
    "|",
)
_NON_LATIN = _words(
    "Тихий Город|Белые Волны|月光オーケストラ|Οι Άνεμοι|Ηλιόπετρα|Северный Ветер|夜明けの鐘|"
    "Μπλε Φεγγάρι",
    "|",
)
_GENRES = _words(
    "Rock|Pop|Alternative|Indie|Electronic|Hip-Hop|Jazz|Folk|Soul|R&B|Metal|Punk|Country|Blues|"
    "Classical|Reggae|Ambient|Singer/Songwriter",
    "|",
)
_STYLES = "Shoegaze|Dream Pop|Krautrock|Post-Punk|Synthpop|Trip Hop|Bossa Nova|Americana|Grunge"
_STYLE_LIST = _STYLES.split("|")
_MOODS = "Chill|Energetic|Melancholy|Upbeat|Romantic|Aggressive|Dreamy|Late Night|Road Trip"
_MOOD_LIST = _MOODS.split("|")
_STUDIOS = _words(
    "Northbound Records|Paper Moon Music|Harborlight|Blue Static Recordings|Elm Street Audio|"
    "Kestrel Sound|Lighthouse Label|Mosaic Records|Saltwater Music|Tin Roof Records|"
    "Vantage Point|Yellowbird",
    "|",
)
_CITIES = _words(
    "Berlin|Tokyo|Montréal|São Paulo|Reykjavík|Chicago|Glasgow|Melbourne|Kraków|Nashville|"
    "Lisbon|Oslo|Dublin|Austin",
    "|",
)
_VENUES = "the Roundhouse|the Paradiso|Red Rocks|the Apollo|the Fillmore|Budokan|the Olympia"
_VENUE_LIST = _VENUES.split("|")


def _plural(noun: str) -> str:
    irregular = {"Wolf": "Wolves", "Thief": "Thieves", "Sky": "Skies", "City": "Cities"}
    if noun in irregular:
        return irregular[noun]
    if noun.endswith(("s", "sh", "ch", "x")):
        return noun + "es"
    if noun.endswith("o") and noun != "Radio":
        return noun + "es"
    return noun + "s"


@dataclass
class _Song:
    title: str
    duration: int | None
    true_rating: float
    recording: int
    filler: bool = False


@dataclass
class _ArtistPlan:
    item: ArtistItem
    quality: float
    affinity: float
    songs: list[_Song] = field(default_factory=list)
    titles: set[str] = field(default_factory=set)
    year: int = 1990


class _Generator:
    def __init__(
        self,
        *,
        tracks: int,
        seed: int,
        now: int,
        rated_fraction: float,
        selection: Selection | None = None,
    ) -> None:
        self.target = tracks
        self.rng = random.Random(seed)
        # The selective person draws rating dates from a stream of its own, so the main stream
        # (names, structure, latent truth) is consumed the same way at every selection level.
        self.side = random.Random(f"rated:{seed}")
        self.selection = None if selection is None else selection.strength
        self.now = now
        self.rated_scale = rated_fraction / 0.25
        self.next_key = 1000
        self.next_recording = 1
        self.artist_names: set[str] = set()
        self.artists: list[_ArtistPlan] = []
        self.albums: list[AlbumItem] = []
        self.tracks: list[TrackItem] = []
        self.album_tracks: dict[int, list[TrackItem]] = {}
        self.various: _ArtistPlan | None = None
        self.listened: set[int] = set()

    # ------------------------------------------------------------------------ small helpers
    def key(self) -> int:
        self.next_key += 1
        return self.next_key

    def recording(self) -> int:
        self.next_recording += 1
        return self.next_recording

    def guid(self, kind: str) -> str:
        return f"plex://{kind}/{self.rng.getrandbits(96):024x}"

    def added_at(self) -> int:
        return self.rng.randint(1_420_070_400, self.now - 86_400)

    def clamp_rating(self, value: float) -> float:
        return float(min(10, max(1, round(value))))

    def gauss(self, mu: float, sigma: float) -> float:
        return self.rng.gauss(mu, sigma)

    def duration_ms(self) -> int:
        seconds = min(720.0, max(95.0, self.gauss(228, 62)))
        return int(seconds * 1000) + self.rng.randint(0, 999)

    # ------------------------------------------------------------------------ names
    def artist_name(self, template: str | None = None) -> tuple[str, str | None]:
        rng = self.rng
        for _attempt in range(40):
            kind = (
                template
                or rng.choices(
                    ("person", "the", "band", "digits", "punct", "foreign"),
                    weights=(30, 22, 22, 8, 14, 4),
                )[0]
            )
            sort: str | None = None
            if kind == "person":
                name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
            elif kind == "the":
                rest = f"{rng.choice(_ADJECTIVES)} {_plural(rng.choice(_NOUNS))}"
                name, sort = f"The {rest}", rest
            elif kind == "band":
                name = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"
            elif kind == "digits":
                noun = rng.choice(_NOUNS)
                name = rng.choice(
                    (
                        f"{noun} {rng.randint(2, 999)}",
                        f"{rng.randint(2, 99)} {_plural(noun)}",
                        f"{rng.choice(_ADJECTIVES)} {noun} {rng.randint(1, 9)}0s",
                    )
                )
            elif kind == "punct":
                choice = rng.randrange(5)
                if choice == 0:
                    name = f"{rng.choice(_FIRST)} & the {_plural(rng.choice(_NOUNS))}"
                elif choice == 1:
                    name = ".".join(rng.choice("ABCDEFGHIJKLMNOPRSTVW") for _ in range(3)) + "."
                elif choice == 2:
                    name = f"{rng.choice(_ADJECTIVES)}/{rng.choice(_NOUNS)}"
                elif choice == 3:
                    name = f"{rng.choice(_NOUNS)}!"
                else:
                    name = f"{rng.choice(_NOUNS)}-{rng.choice(_NOUNS)} ({rng.choice(_CITIES)})"
            else:
                name = rng.choice(
                    (
                        rng.choice(_NON_LATIN),
                        f"{rng.choice(_ACCENTED)} {_plural(rng.choice(_NOUNS))}",
                    )
                )
            if name.casefold() not in self.artist_names:
                self.artist_names.add(name.casefold())
                return name, sort
            template = None
        # The pools are large; if they are ever exhausted a numbered name keeps names unique.
        name = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} {len(self.artist_names)}"
        self.artist_names.add(name.casefold())
        return name, None

    def song_title(self, plan: _ArtistPlan) -> str:
        rng = self.rng
        for _attempt in range(30):
            roll = rng.random()
            adj, noun, noun2 = rng.choice(_ADJECTIVES), rng.choice(_NOUNS), rng.choice(_NOUNS)
            if roll < 0.30:
                title = f"{adj} {noun}"
            elif roll < 0.45:
                title = f"{rng.choice(_GERUNDS)} the {noun}"
            elif roll < 0.55:
                title = f"{noun} of {_plural(noun2)}"
            elif roll < 0.62:
                title = f"The {noun}"
            elif roll < 0.70:
                title = rng.choice(
                    (
                        f"{rng.randint(2, 99)} {_plural(noun)}",
                        f"{noun} '{rng.randint(60, 99)}",
                        f"{noun} {rng.randint(1, 101)}",
                        str(rng.randint(1960, 2024)),
                    )
                )
            elif roll < 0.82:
                title = rng.choice(
                    (
                        f"Don't {rng.choice(_VERB_LIST)}",
                        f"Hey, {rng.choice(_FIRST)}!",
                        f"Who Stole the {noun}?",
                        f"Rock 'n' Roll {noun}",
                        f"{noun} & {noun2}",
                        f"{adj}, {adj.lower()} {noun.lower()}",
                        f"(Don't Fear) the {noun}",
                    )
                )
            elif roll < 0.90:
                title = rng.choice(
                    (f"{rng.choice(_ACCENTED)} {noun}", f"{adj} {rng.choice(_ACCENTED)}")
                )
            else:
                title = f"{noun} {rng.choice(('Song', 'Blues', 'Lullaby', 'Anthem', 'Waltz'))}"
            if title.casefold() not in plan.titles:
                plan.titles.add(title.casefold())
                return title
        title = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} No. {len(plan.titles) + 1}"
        plan.titles.add(title.casefold())
        return title

    def album_title(self) -> str:
        rng = self.rng
        roll = rng.random()
        noun = rng.choice(_NOUNS)
        if roll < 0.4:
            return f"{rng.choice(_ADJECTIVES)} {noun}"
        if roll < 0.55:
            return f"{_plural(noun)} of the {rng.choice(_NOUNS)}"
        if roll < 0.65:
            return f"Songs from the {noun}"
        if roll < 0.72:
            return str(rng.randint(1, 99))
        if roll < 0.80:
            return f"The {rng.choice(_ADJECTIVES)} {noun}"
        if roll < 0.88:
            return f"{rng.choice(_ACCENTED)} {noun}"
        return f"{noun} & {rng.choice(_NOUNS)}"

    # ------------------------------------------------------------------------ artists & albums
    def new_artist(self, *, template: str | None = None, name: str | None = None) -> _ArtistPlan:
        sort: str | None = None
        if name is None:
            name, sort = self.artist_name(template)
        quality = min(9.3, max(2.5, self.gauss(6.2, 1.1)))
        genres = tuple(self.rng.sample(_GENRES, self.rng.choice((1, 1, 2))))
        item = ArtistItem(
            rating_key=self.key(),
            title=name,
            title_sort=sort,
            guid=self.guid("artist"),
            added_at=self.added_at(),
            genres=genres,
            latent={"quality": round(quality, 2)},
        )
        if self.rng.random() < 0.3:
            item.tags = {"style": (self.rng.choice(_STYLE_LIST),)}
        plan = _ArtistPlan(
            item=item,
            quality=quality,
            affinity=self.gauss(0, 1),
            year=self.rng.randint(1962, 2018),
        )
        item.latent = {"quality": round(quality, 2), "affinity": round(plan.affinity, 2)}
        self.artists.append(plan)
        return plan

    def new_album(
        self,
        plan: _ArtistPlan,
        *,
        title: str,
        kind: str,
        quality: float,
        year: int | None,
        subformats: tuple[str, ...] = EMPTY,
    ) -> AlbumItem:
        rng = self.rng
        date: str | None = None
        if year is not None and rng.random() > 0.04:
            date = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        elif year is not None:
            year = None
        album = AlbumItem(
            rating_key=self.key(),
            title=title,
            guid=self.guid("album"),
            artist_key=plan.item.rating_key,
            year=year,
            originally_available_at=date,
            studio=rng.choice(_STUDIOS) if rng.random() < 0.8 else None,
            added_at=self.added_at(),
            genres=plan.item.genres[:1] if plan.item.genres else EMPTY,
            subformats=subformats,
            latent={"quality": round(quality, 2), "kind": kind},
        )
        if kind != "compilation" and rng.random() < 0.6:
            critic = min(10.0, max(1.0, self.gauss(quality + 0.2, 1.1)))
            album.critic_rating = round(critic, 1)
        self.albums.append(album)
        self.album_tracks[album.rating_key] = []
        # Whether the person listened to (and so rated tracks of) this album: driven by how much
        # they like the artist and how good the album is.
        taste = 0.55 if self.selection is None else 0.55 * self.selection
        logit = -0.9 + 1.1 * plan.affinity + taste * (quality - 6.2)
        if kind in ("greatest_hits", "compilation"):
            logit -= 0.8
        listened = rng.random() < 1 / (1 + math.exp(-logit))
        if listened:
            self.listened.add(album.rating_key)
        return album

    def add_track(
        self,
        album: AlbumItem,
        song: _Song,
        *,
        index: int,
        disc: int = 1,
        title: str | None = None,
        original_title: str | None = None,
    ) -> TrackItem:
        track = TrackItem(
            rating_key=self.key(),
            title=title or song.title,
            guid=self.guid("track"),
            album_key=album.rating_key,
            artist_key=album.artist_key,
            original_title=original_title,
            index=index,
            parent_index=disc,
            duration=song.duration,
            added_at=album.added_at,
            true_rating=song.true_rating,
            recording=song.recording,
        )
        kind = album.latent["kind"] if album.latent else "studio"
        listened = album.rating_key in self.listened
        if self.selection is None:
            chance = 0.72 if listened else 0.018
        else:
            quality = float(album.latent["quality"]) if album.latent else 6.0
            chance = self.selective_chance(song.true_rating, quality, listened=listened)
        if song.filler:
            chance *= 0.35
        if kind in ("greatest_hits", "compilation"):
            chance *= 0.6
        if self.rng.random() < chance * self.rated_scale:
            track.user_rating = song.true_rating
            rng = self.rng if self.selection is None else self.side
            track.last_rated_at = rng.randint(track.added_at or self.now - 1, self.now)
        self.tracks.append(track)
        self.album_tracks[album.rating_key].append(track)
        return track

    def selective_chance(self, true: float, quality: float, *, listened: bool) -> float:
        """How likely the selective person rates a track: more of what they like than the album
        around it, loved and hated tracks more than middling ones, unheard albums rarely."""
        s = self.selection or 0.0
        liking = 0.45 * (true - quality) + 0.3 * (abs(true - 5.5) - 2.0)
        base = 0.66 if listened else 0.018 * math.exp(-0.4 * s)
        logit = math.log(base / (1.0 - base)) + s * liking
        return 1.0 / (1.0 + math.exp(-logit))

    def fresh_song(self, plan: _ArtistPlan, quality: float, *, title: str | None = None) -> _Song:
        true = self.clamp_rating(self.gauss(quality, 1.0))
        song = _Song(
            title=title or self.song_title(plan),
            duration=self.duration_ms(),
            true_rating=true,
            recording=self.recording(),
        )
        return song

    def filler_song(self, plan: _ArtistPlan, quality: float, title: str) -> _Song:
        low, high = (40, 130) if title.startswith("Interlude") else (14, 58)
        if title in ("Interview", "Commentary"):
            low, high = (240, 600)
        true = self.clamp_rating(self.gauss(quality - 2.2, 1.0))
        return _Song(
            title=title,
            duration=self.rng.randint(low, high) * 1000 + self.rng.randint(0, 999),
            true_rating=true,
            recording=self.recording(),
            filler=True,
        )

    def studio_album(
        self, plan: _ArtistPlan, *, deluxe: bool = False, filler: tuple[str, ...] = EMPTY
    ) -> AlbumItem:
        rng = self.rng
        quality = min(9.6, max(1.5, self.gauss(plan.quality, 0.85)))
        plan.year = min(2024, plan.year + rng.randint(1, 4))
        title = self.album_title()
        if deluxe:
            title = f"{title} (Deluxe Edition)"
        album = self.new_album(plan, title=title, kind="studio", quality=quality, year=plan.year)
        count = rng.randint(8, 14)
        songs: list[_Song] = [self.fresh_song(plan, quality) for _ in range(count)]
        if rng.random() < 0.12 and len(plan.songs) > 3:
            # An album opener that is neither filler nor a keyword match: only whole words count.
            songs[0] = self.fresh_song(plan, quality, title="Introduction")
        plan.songs.extend(s for s in songs if s.title != "Introduction")
        extras = list(filler)
        if not extras and rng.random() < 0.14:
            extras.append(rng.choice(("Intro", "Outro", "Skit", "Interlude")))
        for name in extras:
            where = 0 if name == "Intro" else len(songs) if name == "Outro" else len(songs) // 2
            songs.insert(where, self.filler_song(plan, quality, name))
        for i, song in enumerate(songs, start=1):
            featured = None
            if not song.filler and rng.random() < 0.02:
                featured = f"{plan.item.title} feat. {rng.choice(_FIRST)} {rng.choice(_LAST)}"
            self.add_track(album, song, index=i, original_title=featured)
        if deluxe:
            bonus: list[tuple[_Song, str | None]] = []
            for song in rng.sample(songs[:count], k=min(2, count)):
                if song.filler:
                    continue
                demo = _Song(
                    title=song.title,
                    duration=(song.duration or 200_000) - rng.randint(5_000, 40_000),
                    true_rating=self.clamp_rating(song.true_rating - 1 + self.gauss(0, 0.7)),
                    recording=self.recording(),
                )
                bonus.append((demo, f"{song.title} [Demo]"))
            live_of = rng.choice([s for s in songs if not s.filler])
            live = _Song(
                title=live_of.title,
                duration=(live_of.duration or 200_000) + rng.randint(15_000, 70_000),
                true_rating=self.clamp_rating(live_of.true_rating + self.gauss(-0.3, 0.7)),
                recording=self.recording(),
            )
            bonus.append((live, f"{live_of.title} (Live)"))
            bonus.append((self.filler_song(plan, quality, "Interview"), None))
            for i, (extra, extra_title) in enumerate(bonus, start=1):
                self.add_track(album, extra, index=i, disc=2, title=extra_title)
        return album

    def remaster_album(self, plan: _ArtistPlan, source: AlbumItem) -> AlbumItem:
        year = min(2024, max(2005, (source.year or 2000) + self.rng.randint(10, 30)))
        quality = source.latent["quality"] if source.latent else plan.quality
        album = self.new_album(
            plan,
            title=f"{source.title} ({year} Remaster)",
            kind="remaster",
            quality=quality,
            year=year,
        )
        for i, src in enumerate(self.album_tracks[source.rating_key][:14], start=1):
            song = _Song(
                title=src.title,
                duration=None
                if src.duration is None
                else src.duration + self.rng.randint(-900, 900),
                true_rating=src.true_rating or 6.0,
                recording=src.recording or self.recording(),
            )
            self.add_track(album, song, index=i, title=f"{src.title} (Remastered {year})")
        return album

    def live_album(self, plan: _ArtistPlan) -> AlbumItem:
        rng = self.rng
        quality = min(9.6, max(1.5, self.gauss(plan.quality - 0.3, 0.8)))
        plan.year = min(2024, plan.year + rng.randint(0, 2))
        title = rng.choice(
            (
                f"Live at {rng.choice(_VENUE_LIST)}",
                f"Live in {rng.choice(_CITIES)} {plan.year}",
                "Alive!",
                f"Unplugged in {rng.choice(_CITIES)}",
            )
        )
        album = self.new_album(
            plan, title=title, kind="live", quality=quality, year=plan.year, subformats=("Live",)
        )
        pool = [s for s in plan.songs if not s.filler]
        picks = rng.sample(pool, k=min(len(pool), rng.randint(8, 15)))
        suffix = rng.random() < 0.35
        index = 1
        if rng.random() < 0.5:
            self.add_track(album, self.filler_song(plan, quality, "Intro"), index=index)
            index += 1
        for song in picks:
            live = _Song(
                title=song.title,
                duration=(song.duration or 200_000) + rng.randint(12_000, 95_000),
                true_rating=self.clamp_rating(song.true_rating + self.gauss(-0.3, 0.8)),
                recording=self.recording(),
            )
            self.add_track(
                album, live, index=index, title=f"{song.title} (Live)" if suffix else None
            )
            index += 1
        if rng.random() < 0.6:
            self.add_track(album, self.filler_song(plan, quality, "Applause"), index=index)
        return album

    def greatest_hits(self, plan: _ArtistPlan) -> AlbumItem:
        rng = self.rng
        plan.year = min(2024, plan.year + rng.randint(1, 3))
        title = rng.choice(
            (
                "Greatest Hits",
                f"The Best of {plan.item.title}",
                f"Anthology {plan.year - rng.randint(8, 25)}–{plan.year}",
                "The Essential Collection",
                "Singles",
            )
        )
        album = self.new_album(
            plan,
            title=title,
            kind="greatest_hits",
            quality=plan.quality,
            year=plan.year,
            subformats=("Compilation",),
        )
        pool = [s for s in plan.songs if not s.filler]
        picks = sorted(
            rng.sample(pool, k=min(len(pool), rng.randint(10, 18))),
            key=lambda s: -s.true_rating,
        )
        for i, song in enumerate(picks, start=1):
            # Same recording, re-mastered for the compilation: within a couple of seconds.
            copy = _Song(
                title=song.title,
                duration=None
                if song.duration is None
                else song.duration + rng.randint(-2000, 2000),
                true_rating=song.true_rating,
                recording=song.recording,
            )
            self.add_track(album, copy, index=i)
        return album

    def single_or_ep(self, plan: _ArtistPlan) -> AlbumItem:
        rng = self.rng
        ep = rng.random() < 0.6
        pool = [s for s in plan.songs if not s.filler]
        lead = rng.choice(pool)
        plan.year = min(2024, plan.year + rng.randint(0, 1))
        album = self.new_album(
            plan,
            title=f"{lead.title} EP" if ep else lead.title,
            kind="ep" if ep else "single",
            quality=plan.quality,
            year=plan.year,
            subformats=("EP",) if ep else ("Single",),
        )
        edit = _Song(
            title=lead.title,
            duration=None if lead.duration is None else lead.duration - rng.randint(20_000, 60_000),
            true_rating=lead.true_rating,
            recording=self.recording(),
        )
        self.add_track(album, edit, index=1, title=f"{lead.title} (Radio Edit)")
        count = rng.randint(2, 4) if ep else 1
        for i in range(count):
            self.add_track(album, self.fresh_song(plan, plan.quality), index=i + 2)
        return album

    def compilation(self) -> AlbumItem:
        rng = self.rng
        if self.various is None:
            self.various = self.new_artist(name=VARIOUS_ARTISTS)
            self.various.item.genres = ("Pop",)
        plan = self.various
        year = rng.randint(1985, 2024)
        title = rng.choice(
            (
                f"Summer Anthems {year}",
                f"{rng.choice(_ADJECTIVES)} Hits, Vol. {rng.randint(1, 12)}",
                f"Late Night {_plural(rng.choice(_NOUNS))}",
                f"Café {rng.choice(_CITIES)}",
                f"The {rng.choice(_ADJECTIVES)} Collection",
            )
        )
        album = self.new_album(
            plan,
            title=title,
            kind="compilation",
            quality=6.0,
            year=year,
            subformats=("Compilation",),
        )
        sources = [a for a in self.artists if a is not plan and a.songs]
        count = rng.randint(12, 20)
        for i in range(1, count + 1):
            if sources and rng.random() < 0.7:
                performer = rng.choice(sources)
                song = rng.choice(performer.songs)
                if song.filler:
                    continue
                copy = _Song(
                    title=song.title,
                    duration=None
                    if song.duration is None
                    else song.duration + rng.randint(-2000, 2000),
                    true_rating=song.true_rating,
                    recording=song.recording,
                )
                self.add_track(album, copy, index=i, original_title=performer.item.title)
            else:
                guest = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
                song = self.fresh_song(plan, min(9.0, max(2.0, self.gauss(5.8, 1.2))))
                self.add_track(album, song, index=i, original_title=guest)
        return album

    # ------------------------------------------------------------------------ the run
    def build_artist(self, plan: _ArtistPlan, *, showcase: bool = False) -> None:
        rng = self.rng
        if showcase:
            first = self.studio_album(plan, deluxe=True, filler=("Intro",))
            self.studio_album(plan, filler=("Skit", "Interlude"))
            self.studio_album(plan, filler=("Outro",))
            self.remaster_album(plan, first)
            self.live_album(plan)
            self.greatest_hits(plan)
            return
        studio = rng.choices((1, 2, 3, 4, 5, 6, 7), weights=(48, 25, 12, 7, 4, 2, 2))[0]
        for _ in range(studio):
            self.studio_album(plan, deluxe=rng.random() < 0.04)
            if self.enough():
                return
        if studio >= 2 and rng.random() < 0.16:
            self.live_album(plan)
        if studio >= 3 and rng.random() < 0.2:
            self.greatest_hits(plan)
        if rng.random() < 0.08:
            self.single_or_ep(plan)
        if studio >= 2 and rng.random() < 0.02:
            self.remaster_album(plan, rng.choice(self.albums[-studio:]))

    def enough(self) -> bool:
        return len(self.tracks) >= self.target

    def run(self) -> None:
        showcase = [
            ("the", True),
            ("foreign", False),
            ("digits", False),
            ("punct", False),
        ]
        for template, full in showcase:
            plan = self.new_artist(template=template)
            self.build_artist(plan, showcase=full)
            if not full:
                self.single_or_ep(plan)
            if self.enough():
                break
        if not self.enough():
            self.compilation()
        while not self.enough():
            plan = self.new_artist()
            self.build_artist(plan)
            if self.rng.random() < 0.012:
                self.compilation()
        self.trim()
        self.ensure_cases()
        self.sprinkle()

    def trim(self) -> None:
        """Drop tracks past the target so the library has exactly the number asked for."""
        while len(self.tracks) > self.target:
            track = self.tracks.pop()
            siblings = self.album_tracks[track.album_key]
            siblings.pop()
            if not siblings:
                album = self.albums.pop()
                del self.album_tracks[album.rating_key]
                owner = [a for a in self.artists if a.item.rating_key == album.artist_key]
                if owner and not any(a.artist_key == album.artist_key for a in self.albums):
                    self.artists.remove(owner[0])
                    if owner[0] is self.various:
                        self.various = None

    def ensure_cases(self) -> None:
        """Make sure the rarer cases exist even in small libraries."""
        tracks = [t for t in self.tracks if t.title not in ("Intro", "Outro", "Skit", "Interlude")]
        without = [t for t in self.tracks if t.duration is None]
        step = max(1, len(tracks) // 3)
        for t in tracks[step // 2 :: step][: max(0, 2 - len(without))]:
            t.duration = None
        if not any(t.user_rating is not None for t in self.tracks) and self.tracks:
            first = self.tracks[0]
            first.user_rating = first.true_rating
            first.last_rated_at = self.now - 86_400

    def sprinkle(self) -> None:
        """Manual album and artist ratings, the person's own moods, missing durations."""
        rng = self.rng
        for track in self.tracks:
            if track.duration is not None and rng.random() < 0.003:
                track.duration = None
        manual_albums = 0
        for album in self.albums:
            quality = float(album.latent["quality"]) if album.latent else 6.0
            chance = 0.06 if album.rating_key in self.listened else 0.012
            if rng.random() < chance:
                album.user_rating = self.clamp_rating(self.gauss(quality, 0.6))
                album.last_rated_at = rng.randint(album.added_at or self.now - 1, self.now)
                manual_albums += 1
        if not manual_albums and self.albums:
            album = self.albums[0]
            album.user_rating = self.clamp_rating(album.latent["quality"] if album.latent else 6)
            album.last_rated_at = self.now - 3 * 86_400
        manual_artists = 0
        for plan in self.artists:
            if plan is self.various:
                continue
            if rng.random() < 0.04 + 0.03 * max(0.0, plan.affinity):
                plan.item.user_rating = self.clamp_rating(self.gauss(plan.quality, 0.6))
                plan.item.last_rated_at = rng.randint(plan.item.added_at or 0, self.now)
                manual_artists += 1
        if not manual_artists and self.artists:
            plan = self.artists[0]
            plan.item.user_rating = self.clamp_rating(plan.quality)
            plan.item.last_rated_at = self.now - 2 * 86_400
        self.user_moods()

    def user_moods(self) -> None:
        rng = self.rng

        def tag(item: ArtistItem | AlbumItem | TrackItem) -> None:
            item.moods = tuple(rng.sample(_MOOD_LIST, rng.choice((1, 1, 2))))
            # Editing moods in Plex's UI locks the field; the person's tags look like this.
            item.locked = ("mood",)

        for track in self.tracks:
            if rng.random() < 0.02:
                tag(track)
        for album in self.albums:
            if rng.random() < 0.03:
                tag(album)
        for plan in self.artists:
            if rng.random() < 0.03:
                tag(plan.item)
        for group in (self.tracks, self.albums, [p.item for p in self.artists]):
            if group and not any(i.moods for i in group):
                tag(group[len(group) // 2])


def generate_library(
    *,
    tracks: int,
    seed: int,
    rated_fraction: float = 0.25,
    section_title: str = "Music",
    now: int = 1_717_200_000,
    movie_section: bool = True,
    selection: Selection | None = None,
    play_signal: float = DEFAULT_PLAY_SIGNAL,
) -> EmulatorLibrary:
    """A realistic music library of exactly ``tracks`` tracks, the same for the same arguments.

    ``rated_fraction`` scales how many tracks carry the person's rating (about a quarter by
    default). ``now`` is the epoch second used as "today" for added and rated dates, so output does
    not depend on the clock. ``movie_section`` adds an empty "Movies" section so section lookup by
    name has something to skip. ``selection`` and ``play_signal`` describe the person (module
    docstring); the defaults keep the original person, with plays that follow taste half-way.
    """
    if tracks < 1:
        raise ValueError("a generated library needs at least one track")
    if not 0 <= rated_fraction <= 1:
        raise ValueError("rated_fraction must be between 0 and 1")
    if not 0 <= play_signal <= 1:
        raise ValueError("play_signal must be between 0 and 1")
    gen = _Generator(
        tracks=tracks, seed=seed, now=now, rated_fraction=rated_fraction, selection=selection
    )
    gen.run()
    _listening(gen, seed=seed, signal=play_signal)
    rng = gen.rng
    music = Section(
        key=MUSIC_SECTION_KEY,
        type="artist",
        title=section_title,
        uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        agent="tv.plex.agents.music",
        scanner="Plex Music",
        created_at=1_420_000_000,
        updated_at=now,
        location="/music",
        artists=[p.item for p in gen.artists],
        albums=gen.albums,
        tracks=gen.tracks,
    )
    for upper in (*music.artists, *gen.albums):
        upper.updated_at = upper.added_at
    sections = [music]
    if movie_section:
        sections.insert(
            0,
            Section(
                key=MOVIE_SECTION_KEY,
                type="movie",
                title="Movies",
                uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                agent="tv.plex.agents.movie",
                scanner="Plex Movie",
                location="/movies",
            ),
        )
    server = ServerInfo(
        friendly_name="plexrate-emulator",
        machine_identifier=f"{rng.getrandbits(160):040x}",
    )
    return EmulatorLibrary(server=server, sections=sections)


def new_album_records(
    artist: ArtistItem | None,
    *,
    taken: Collection[str],
    tracks: int,
    at: int,
    seed: int,
    first_key: int,
    first_recording: int,
) -> tuple[ArtistItem | None, AlbumItem, list[TrackItem]]:
    """A new studio album of ``tracks`` unrated tracks named the way the generator names things,
    by ``artist`` or (None) by a new artist whose name is not in ``taken``: what Plex's scanner
    adds when the person drops a new album into the library. Keys count up from ``first_key``
    (artist, album, then tracks in order); everything is added and updated at ``at``.
    ``EmulatorLibrary.add_album`` puts the records into a library."""
    gen = _Generator(tracks=tracks, seed=seed, now=at, rated_fraction=0.0)
    gen.next_key = first_key - 1
    gen.next_recording = first_recording - 1
    gen.artist_names.update(name.casefold() for name in taken)
    new_artist: ArtistItem | None = None
    if artist is None:
        plan = gen.new_artist()
        new_artist = plan.item
        new_artist.added_at = new_artist.updated_at = at
    else:
        quality = float((artist.latent or {}).get("quality", 6.2))
        plan = _ArtistPlan(item=artist, quality=quality, affinity=0.0)
    plan.year = time.gmtime(at).tm_year
    quality = min(9.6, max(1.5, gen.gauss(plan.quality, 0.85)))
    album = gen.new_album(
        plan, title=gen.album_title(), kind="studio", quality=quality, year=plan.year
    )
    album.added_at = album.updated_at = at
    for index in range(1, tracks + 1):
        track = gen.add_track(album, gen.fresh_song(plan, quality), index=index)
        track.updated_at = at
    return new_artist, album, gen.album_tracks[album.rating_key]


def _poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw: Knuth's product method for small means, a rounded normal for large."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit = math.exp(-lam)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _listening(gen: _Generator, *, seed: int, signal: float) -> None:
    """Plays, skips, last play and popularity for every track, from a random stream of their own.

    With ``signal`` 0 they are noise. Towards 1, heard albums are played more, and within an album
    the tracks the person likes are played more and skipped less; popularity (other listeners'
    ``ratingCount``) leans a little toward the person's taste. The latent truth is not touched.
    """
    rng = random.Random(f"plays:{seed}")
    albums = {a.rating_key: a for a in gen.albums}
    popularity = {p.item.rating_key: rng.gauss(7.5, 1.6) for p in gen.artists}
    album_level: dict[int, float] = {}
    for album in gen.albums:
        quality = float(album.latent["quality"]) if album.latent else 6.0
        heard = 1.0 if album.rating_key in gen.listened else 0.0
        taste = 1.8 * heard - 1.0 + 0.3 * (quality - 6.2)
        album_level[album.rating_key] = 0.9 + signal * taste + rng.gauss(0, 0.5)
    for track in gen.tracks:
        parent = albums.get(track.album_key)
        quality = float(parent.latent["quality"]) if parent and parent.latent else 6.0
        true = track.true_rating if track.true_rating is not None else quality
        liking = true - quality
        level = album_level.get(track.album_key, 0.9) + signal * 0.45 * liking
        plays = _poisson(rng, math.exp(level + rng.gauss(0, 0.4)))
        skips = _poisson(
            rng,
            0.35
            * math.exp(album_level.get(track.album_key, 0.9) * 0.5)
            * math.exp(-signal * 0.6 * liking),
        )
        track.view_count = plays
        track.skip_count = skips
        if plays:
            days = min(3650.0, rng.expovariate(1 / 180))
            track.last_viewed_at = max(track.added_at or 0, gen.now - int(days * 86_400))
        if rng.random() < 0.85:
            base = popularity.get(track.artist_key, 7.5)
            lean = signal * 0.35 * (true - 6.0)
            track.rating_count = max(1, int(math.exp(base + lean + rng.gauss(0, 0.9))))
