"""The hierarchical model: an empirical-Bayes random-effects fit to the person's own ratings.

A track's true rating is its album's level plus the track's own deviation; an album's level is the
library level μ, plus its artist's effect, plus what its covariates say, plus its own effect:

    q_album = μ + a_artist + γ·x_album + u_album        a ~ N(0, τa²), u ~ N(0, τb²)
    rated track            = q_album + β·w_track + θ·(1 − share rated) + e     e ~ N(0, σw²)
    manual album rating    = q_album + δR + noise(σR²)
    critic rating          = κ0 + κ1·q_album + noise(σc²)
    manual artist rating   = μ + a_artist + δA + noise(σA²)

x_album are the album's covariates: Live and Compilation subformats, whether the person rated none
of its tracks, the share they rated, and how much the album was played. w_track are the track's
plays, skips and popularity relative to its album. θ is the selection correction: a person who
rates a share of an album rates the tracks they like, so the rated tracks run above the album and
the unrated ones below it (by θ·share). Filler tracks get a learned offset from their album.

Every variance and coefficient is estimated from the person's ratings (a few EM-style passes of
weighted regressions, numpy over albums and artists). With too little data a variance falls back
to what CONFIDENCE_C implies (τb² = σw² / C) and a coefficient to 0. μ is a mean over albums, so
albums the person rated heavily do not pull it up. See docs/inference.md §2b.

numpy earns its place here: the fit repeats about twenty passes over every album and artist, and
``plexrate tune`` fits once per fold and candidate; vectorised, a pass over 27,000 albums costs a
millisecond where plain Python costs tens.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from plexrate.engine.index import LibraryIndex
from plexrate.engine.maths import DEFAULT_PRIOR
from plexrate.model import LibrarySnapshot, stars

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.intp]

ITERATIONS = 25
MIN_ALBUMS = 8
"""Fewer albums with evidence than this and the album variance falls back to σw² / C."""
MIN_CALIBRATION = 12
"""Albums with both a critic rating and other evidence needed before the critic is used."""
DEFAULT_WITHIN_VARIANCE = 1.5
"""σw² (0–10 scale) when no album has two rated tracks to measure it from."""
_FLOOR = 0.02


@dataclass(frozen=True, slots=True)
class Parameters:
    """The fitted figures, on Plex's 0–10 scale (``docs/inference.md`` §2b names them)."""

    mu: float
    tau_album: float
    tau_artist: float
    sigma_within: float
    theta: float
    filler_offset: float
    critic_scale: float
    critic_offset: float
    critic_noise: float
    critic_used: bool
    album_rating_offset: float
    artist_rating_offset: float
    gamma: tuple[float, ...]
    beta: tuple[float, ...]
    fallback: bool
    """True when the album variance came from CONFIDENCE_C (too little data)."""


ALBUM_COVARIATES = ("live", "compilation", "unrated", "plays")
TRACK_COVARIATES = ("plays", "skips", "popularity")


@dataclass(frozen=True, slots=True, eq=False)
class ModelFit:
    """What the model says about every album, artist and track of one snapshot."""

    parameters: Parameters
    album_index: Mapping[int, int]
    artist_index: Mapping[int, int]
    album_level: Floats
    """Posterior mean of each album's level (the mean of all its tracks' true ratings)."""
    album_rated: npt.NDArray[np.int64]
    album_share: Floats
    album_evidence: npt.NDArray[np.bool_]
    """The album has ratings of the person's behind it: its own tracks or rating, or its
    artist's rating or other rated albums."""
    artist_value: Floats
    artist_evidence: npt.NDArray[np.bool_]
    track_keys: npt.NDArray[np.int64]
    """Every track, in the order of ``LibraryIndex.tracks_by_album`` (album by album)."""
    track_value: Floats
    critic: Floats
    unheard_shift: float

    def album(self, key: int) -> float:
        return float(self.album_level[self.album_index[key]])

    def artist(self, key: int) -> float:
        return float(self.artist_value[self.artist_index[key]])

    def track(self, key: int) -> float:
        """One track's value (a linear search: the engine walks ``track_value`` in order)."""
        (position,) = np.flatnonzero(self.track_keys == key)
        return float(self.track_value[position])

    def album_has_evidence(self, key: int) -> bool:
        return bool(self.album_evidence[self.album_index[key]])

    def artist_has_evidence(self, key: int) -> bool:
        return bool(self.artist_evidence[self.artist_index[key]])

    def album_reason(self, key: int) -> str:
        i = self.album_index[key]
        n = int(self.album_rated[i])
        p = self.parameters
        parts = []
        if n:
            parts.append(f"{n} rated track{'s' if n != 1 else ''} ({self.album_share[i]:.0%})")
        else:
            parts.append("no rated tracks")
        critic = self.critic[i]
        if p.critic_used and not math.isnan(critic):
            parts.append(f"critic {stars(float(critic))}")
        if not self.album_evidence[i]:
            parts.append("nothing rated by the artist")
        return f"model: {', '.join(parts)}; μ {stars(p.mu)}"

    def artist_reason(self, key: int) -> str:
        j = self.artist_index[key]
        if not self.artist_evidence[j]:
            return f"model: nothing rated by the artist; μ {stars(self.parameters.mu)}"
        return f"model: mean of its albums' levels; μ {stars(self.parameters.mu)}"

    def track_reason(self, album_key: int, *, filler: bool) -> str:
        """Why the unrated tracks of an album get their values (one text for all of them)."""
        i = self.album_index[album_key]
        p = self.parameters
        parts = [f"album level {stars(float(self.album_level[i]))}"]
        if filler:
            parts.append(f"filler {p.filler_offset / 2:+.2f}★")
        else:
            shift = -p.theta * float(self.album_share[i])
            if abs(shift) >= 0.01:
                parts.append(f"unrated {shift / 2:+.2f}★")
        if any(b != 0.0 for b in p.beta):
            parts.append("each track moved by its plays, skips and popularity")
        return "model: " + ", ".join(parts)


def fit(
    snapshot: LibrarySnapshot,
    index: LibraryIndex,
    *,
    manual: Callable[[int], float | None],
    confidence: float,
) -> ModelFit:
    """Fit the model to the manual ratings ``manual(key)`` returns (None: not manual)."""
    albums_meta = snapshot.albums
    tracks = snapshot.tracks

    # -- structure: albums (the snapshot's, plus any a track names that the snapshot lacks) and
    # artists (likewise), each with a position in the arrays.
    album_keys: list[int] = list(index.album_keys)
    album_artist: list[int] = [albums_meta[k].artist_key for k in album_keys]
    for key, members in index.tracks_by_album.items():
        if key not in albums_meta:
            album_keys.append(key)
            album_artist.append(tracks[members[0]].artist_key)
    album_index = {k: i for i, k in enumerate(album_keys)}
    artist_keys: list[int] = list(index.artist_keys)
    artist_index = {k: j for j, k in enumerate(artist_keys)}
    for key in album_artist:
        if key not in artist_index:
            artist_index[key] = len(artist_keys)
            artist_keys.append(key)
    n_albums, n_artists = len(album_keys), len(artist_keys)
    album_of_artist = np.fromiter(
        (artist_index[k] for k in album_artist), dtype=np.intp, count=n_albums
    )

    # -- tracks, in the index's album order, read into flat arrays of machine numbers (300,000
    # Python floats per attribute would cost more memory than the rest of the fit).
    keys_out = array("q")
    album_out = array("q")
    plays_out = array("d")
    skips_out = array("d")
    pop_out = array("d")
    rating_out = array("d")
    filler_out = array("b")
    filler = index.filler
    nan = math.nan
    for key, members in index.tracks_by_album.items():
        i = album_index[key]
        for t in members:
            track = tracks[t]
            keys_out.append(t)
            album_out.append(i)
            plays_out.append(track.plays)
            skips_out.append(track.skips)
            pop = track.popularity
            pop_out.append(nan if pop is None else pop)
            given = manual(t)
            rating_out.append(nan if given is None else given)
            filler_out.append(t in filler)
    n_tracks = len(keys_out)
    track_keys = np.frombuffer(keys_out, dtype=np.int64) if n_tracks else np.zeros(0, np.int64)
    ta = (
        np.frombuffer(album_out, dtype=np.int64).astype(np.intp)
        if n_tracks
        else np.zeros(0, np.intp)
    )
    rating = _floats(rating_out)
    is_filler = (
        np.frombuffer(filler_out, dtype=np.int8).astype(bool) if n_tracks else np.zeros(0, bool)
    )
    rated = ~np.isnan(rating)
    evidence_track = rated & ~is_filler

    def per_album(values: Floats) -> Floats:
        return np.bincount(ta, weights=values, minlength=n_albums).astype(np.float64)

    size_all = np.bincount(ta[~is_filler], minlength=n_albums).astype(np.float64)
    size_all = np.maximum(size_all, 1.0)

    # Track covariates, centred on their album (a track played more than its neighbours).
    cov = np.column_stack(
        [np.log1p(_floats(plays_out)), np.log1p(_floats(skips_out)), np.log1p(_floats(pop_out))]
    )
    del plays_out, skips_out, pop_out, rating_out, filler_out, album_out
    if n_tracks:
        present = ~np.isnan(cov)
        counts = np.stack([per_album(present[:, c].astype(np.float64)) for c in range(3)], 1)
        sums = np.stack([per_album(np.where(present[:, c], cov[:, c], 0.0)) for c in range(3)], 1)
        means = sums / np.maximum(counts, 1.0)
        w = np.where(present, cov - means[ta], 0.0)
        album_plays = means[:, 0]
    else:
        w = np.zeros((0, 3))
        album_plays = np.zeros(n_albums)

    # -- the person's track ratings per album (non-filler only: filler is rated apart).
    y = np.where(evidence_track, rating, 0.0)
    n = np.bincount(ta[evidence_track], minlength=n_albums).astype(np.float64)
    total = per_album(y)
    squares = per_album(y * y)
    ybar = np.divide(total, n, out=np.zeros(n_albums), where=n > 0)
    multi = n >= 2
    dof = float(np.sum(n[multi] - 1))
    if dof >= 2:
        within = float(np.sum(squares[multi] - n[multi] * ybar[multi] ** 2)) / dof
        sigma_w2 = max(within, 0.1)
    else:
        sigma_w2 = DEFAULT_WITHIN_VARIANCE

    # β: within-album regression of ratings on the covariates, shrunk by its own uncertainty.
    beta = np.zeros(3)
    in_multi = evidence_track & multi[ta]
    if int(np.sum(in_multi)) >= 30:
        rated_w = np.where(evidence_track[:, None], w, 0.0)
        w_rated_mean = (
            np.stack([per_album(rated_w[:, c]) for c in range(3)], 1) / np.maximum(n, 1.0)[:, None]
        )
        xs = (w - w_rated_mean[ta])[in_multi]
        ys = (rating - ybar[ta])[in_multi]
        gram = xs.T @ xs + np.eye(3) * 1e-6
        coef = np.linalg.solve(gram, xs.T @ ys)
        resid = ys - xs @ coef
        s2 = float(resid @ resid) / max(1, len(ys) - 3)
        se = np.sqrt(np.maximum(np.diag(np.linalg.inv(gram)) * s2, 1e-12))
        t2 = (coef / se) ** 2
        beta = coef * np.maximum(0.0, 1.0 - 4.0 / np.maximum(t2, 1e-9))
    else:
        w_rated_mean = np.zeros((n_albums, 3))
    if n_tracks:
        rated_w = np.where(evidence_track[:, None], w, 0.0)
        w_rated_mean = (
            np.stack([per_album(rated_w[:, c]) for c in range(3)], 1) / np.maximum(n, 1.0)[:, None]
        )
    adjust = w @ beta if n_tracks else np.zeros(0)
    ybar_adj = ybar - (w_rated_mean @ beta if n_tracks else 0.0)
    share = n / size_all
    theta_plays = _selection_from_plays(
        z=adjust,
        rating=rating,
        ybar=ybar,
        ta=ta,
        rated=evidence_track,
        multi=multi,
        n=n,
        size=size_all,
        is_filler=is_filler,
    )

    # -- album-level measurements besides tracks: the person's album rating, the critic's.
    album_rating = np.full(n_albums, np.nan)
    critic = np.full(n_albums, np.nan)
    live = np.zeros(n_albums)
    compilation = np.zeros(n_albums)
    for key, i in album_index.items():
        meta = albums_meta.get(key)
        if meta is None:
            continue
        own = manual(key)
        if own is not None:
            album_rating[i] = own
        if meta.critic_rating is not None:
            critic[i] = meta.critic_rating
        live[i] = meta.live
        compilation[i] = meta.compilation
    artist_rating = np.full(n_artists, np.nan)
    for key, j in artist_index.items():
        own = manual(key) if key in snapshot.artists else None
        if own is not None:
            artist_rating[j] = own
    has_r = ~np.isnan(album_rating)
    has_c = ~np.isnan(critic)
    has_a = ~np.isnan(artist_rating)
    has_t = n > 0

    # Album covariates (the prior mean's regressors besides the intercept).
    plays_level = album_plays - (float(np.mean(album_plays)) if n_albums else 0.0)
    x = np.column_stack([live, compilation, (~has_t).astype(np.float64), plays_level])
    design = np.column_stack([np.ones(n_albums), x])

    # -- starting values.
    measured_t = has_t
    mu = float(np.mean(ybar[measured_t])) if np.any(measured_t) else DEFAULT_PRIOR
    gamma = np.zeros(x.shape[1])
    fallback = int(np.sum(has_t | has_r)) < MIN_ALBUMS
    confidence = max(confidence, 0.05)
    tau_b2 = sigma_w2 / confidence
    tau_a2 = tau_b2
    theta = 0.0
    kappa0, kappa1, sigma_c2 = 0.0, 1.0, 1.0
    critic_used = False
    delta_r, sigma_r2 = 0.0, max(sigma_w2 / 3.0, 0.1)
    delta_a, sigma_a2 = 0.0, max(sigma_w2 / 3.0, 0.1)
    calibration = has_c & (has_t | has_r)
    if int(np.sum(calibration)) >= MIN_CALIBRATION:
        critic_used = True

    ybar_safe = np.where(has_t, ybar_adj, 0.0)
    n_safe = np.maximum(n, 1.0)
    r_safe = np.where(has_r, album_rating, 0.0)
    c_safe = np.where(has_c, critic, 0.0)
    a_safe = np.where(has_a, artist_rating, 0.0)

    def measurements(
        use_t: bool = True, use_r: bool = True, use_c: bool = True
    ) -> tuple[Floats, Floats]:
        """Precision and precision-weighted sum of each album's direct measurements."""
        prec = np.zeros(n_albums)
        wsum = np.zeros(n_albums)
        if use_t:
            p_t = np.where(has_t, n_safe / sigma_w2, 0.0)
            prec += p_t
            wsum += p_t * (ybar_safe - theta * (1.0 - share))
        if use_r:
            p_r = np.where(has_r, 1.0 / sigma_r2, 0.0)
            prec += p_r
            wsum += p_r * (r_safe - delta_r)
        if use_c and critic_used:
            p_c = np.where(has_c, kappa1 * kappa1 / sigma_c2, 0.0)
            prec += p_c
            wsum += p_c * (c_safe - kappa0) / kappa1
        return prec, wsum

    def artist_terms(prec: Floats, wsum: Floats, prior: Floats) -> tuple[Floats, Floats, Floats]:
        """Per album: its measurement's weight for the artist, and its deviation from the prior."""
        measured = prec > 0
        v = np.divide(1.0, prec, out=np.zeros(n_albums), where=measured)
        m = np.divide(wsum, prec, out=np.zeros(n_albums), where=measured)
        weight = np.where(measured, 1.0 / (tau_b2 + v), 0.0)
        return weight, np.where(measured, m - prior, 0.0), m

    def posterior(
        prec: Floats, wsum: Floats, prior: Floats, num: Floats, den: Floats
    ) -> tuple[Floats, Floats, Floats, Floats]:
        """Each album's level given its own measurements and its artist's other albums."""
        weight, dev, _ = artist_terms(prec, wsum, prior)
        j = album_of_artist
        loo_den = den[j] - weight
        loo_a = (num[j] - weight * dev) / loo_den
        loo_v = 1.0 / loo_den
        prior_mean = prior + loo_a
        prior_prec = 1.0 / (tau_b2 + loo_v)
        total_prec = prior_prec + prec
        mean = (prior_prec * prior_mean + wsum) / total_prec
        return mean, 1.0 / total_prec, loo_a, loo_v

    def artists(prec: Floats, wsum: Floats, prior: Floats) -> tuple[Floats, Floats]:
        weight, dev, _ = artist_terms(prec, wsum, prior)
        p_a = np.where(has_a, 1.0 / sigma_a2, 0.0)
        num = np.bincount(album_of_artist, weights=weight * dev, minlength=n_artists).astype(
            np.float64
        ) + p_a * (a_safe - mu - delta_a)
        den = (
            np.bincount(album_of_artist, weights=weight, minlength=n_artists).astype(np.float64)
            + 1.0 / tau_a2
            + p_a
        )
        return num, den

    for _ in range(ITERATIONS):
        prior = mu + x @ gamma
        prec, wsum = measurements()
        num, den = artists(prec, wsum, prior)
        _, _, loo_a, loo_v = posterior(prec, wsum, prior, num, den)
        m = artist_terms(prec, wsum, prior)[2]
        measured = prec > 0
        v = np.divide(1.0, prec, out=np.zeros(n_albums), where=measured)
        # μ and γ: weighted regression of each measured album (its artist's other albums
        # taken out) on the covariates; a light ridge keeps rare covariates near 0.
        if int(np.sum(measured)) >= 3:
            wts = 1.0 / (
                tau_b2 + loo_v + np.divide(1.0, prec, out=np.zeros(n_albums), where=measured)
            )
            wts = np.where(measured, wts, 0.0)
            target = m - loo_a
            xtw = design.T * wts
            gram = xtw @ design + np.diag([1e-6] + [2.0] * x.shape[1])
            coef = np.linalg.solve(gram, xtw @ np.where(measured, target, 0.0))
            mu, gamma = float(coef[0]), coef[1:]
        # Variances: moment estimates on the measured albums, and the artists' EM update.
        if not fallback:
            resid = (m - prior - loo_a)[measured]
            excess = resid**2 - loo_v[measured] - v[measured]
            wt = 1.0 / (tau_b2 + loo_v[measured] + v[measured]) ** 2
            tau_b2 = max(float(np.sum(wt * excess) / np.sum(wt)), _FLOOR * 5)
            with_data = den > 1.0 / tau_a2 + 1e-12
            if int(np.sum(with_data)) >= MIN_ALBUMS:
                a_hat = num / den
                tau_a2 = max(float(np.mean((a_hat**2 + 1.0 / den)[with_data])), _FLOOR)
        # The critic's calibration: its rating regressed on the album level the other evidence
        # gives (unbiased for the slope, since that level is a posterior mean).
        if critic_used:
            p_o, w_o = measurements(use_c=False)
            lvl_o, var_o, _, _ = posterior(p_o, w_o, prior, *artists(p_o, w_o, prior))
            sel = has_c & (has_t | has_r)
            xs = lvl_o[sel]
            cs = critic[sel]
            xm, cm = float(np.mean(xs)), float(np.mean(cs))
            sxx = float(np.sum((xs - xm) ** 2))
            if sxx > 1e-9:
                kappa1 = max(float(np.sum((xs - xm) * (cs - cm))) / sxx, 0.1)
                kappa0 = cm - kappa1 * xm
                res = cs - kappa0 - kappa1 * xs
                sigma_c2 = max(float(np.mean(res**2)) - kappa1**2 * float(np.mean(var_o[sel])), 0.1)
        # Selection: how far the rated tracks run above the level the rest of the evidence gives.
        sel_t = has_t & (share < 1.0)
        if theta_plays is not None:
            theta = theta_plays
        elif not fallback and (critic_used or int(np.sum(has_r & has_t)) >= MIN_CALIBRATION):
            p_o, w_o = measurements(use_t=False)
            lvl_o, var_o, _, _ = posterior(p_o, w_o, prior, *artists(p_o, w_o, prior))
            informed = sel_t & (has_c | has_r)
            if int(np.sum(informed)) >= MIN_CALIBRATION:
                gap = (ybar_adj - lvl_o)[informed]
                lever = (1.0 - share)[informed]
                wt = 1.0 / (sigma_w2 / n_safe[informed] + var_o[informed])
                # With an intercept: the levels the rest of the evidence gives carry the average
                # selection of every album (through μ and the critic's calibration); only how the
                # gap grows with the unrated share measures θ.
                sw = float(np.sum(wt))
                lm = float(np.sum(wt * lever)) / sw
                gm = float(np.sum(wt * gap)) / sw
                sxx = float(np.sum(wt * (lever - lm) ** 2))
                if sxx > 1e-9:
                    est = float(np.sum(wt * (lever - lm) * (gap - gm))) / sxx
                    se2 = 1.0 / sxx
                    theta = min(2.0, max(0.0, est * max(0.0, 1.0 - se2 / max(est * est, 1e-12))))
        # The person's own album and artist ratings: their offset from the levels.
        if int(np.sum(has_r & (has_t | has_c))) >= 5:
            p_o, w_o = measurements(use_r=False)
            lvl_o, var_o, _, _ = posterior(p_o, w_o, prior, *artists(p_o, w_o, prior))
            sel = has_r & (has_t | has_c)
            res = album_rating[sel] - lvl_o[sel]
            delta_r = float(np.mean(res))
            sigma_r2 = max(float(np.var(res)) - float(np.mean(var_o[sel])), 0.05)
        if int(np.sum(has_a)) >= 5:
            num_o = num - np.where(has_a, (a_safe - mu - delta_a) / sigma_a2, 0.0)
            den_o = den - np.where(has_a, 1.0 / sigma_a2, 0.0)
            sel_a = has_a & (den_o > 1.0 / tau_a2 + 1e-12)
            if int(np.sum(sel_a)) >= 5:
                a_o = num_o[sel_a] / den_o[sel_a]
                res = artist_rating[sel_a] - mu - a_o
                delta_a = float(np.mean(res))
                sigma_a2 = max(float(np.var(res)) - float(np.mean(1.0 / den_o[sel_a])), 0.05)

    prior = mu + x @ gamma
    prec, wsum = measurements()
    num, den = artists(prec, wsum, prior)
    level, _, _, _ = posterior(prec, wsum, prior, num, den)

    # Filler: its learned offset from the album level, shrunk toward 0 by CONFIDENCE_C.
    filler_rated = rated & is_filler
    filler_offset = 0.0
    if np.any(filler_rated):
        gaps = (rating - level[ta] - adjust)[filler_rated]
        filler_offset = float(np.sum(gaps)) / (len(gaps) + confidence)

    # Tracks: album level, plus their covariates, minus what selection leaves the unrated.
    value = level[ta] + adjust - theta * share[ta]
    if n_tracks:
        value = np.where(is_filler, level[ta] + adjust + filler_offset, value)
    value = np.clip(value, 0.0, 10.0)

    # Artists: the mean level of their albums (the artist level itself when they have none).
    album_count = np.bincount(album_of_artist, minlength=n_artists).astype(np.float64)
    level_sum = np.bincount(album_of_artist, weights=level, minlength=n_artists)
    artist_level = np.where(
        album_count > 0,
        np.divide(level_sum, album_count, out=np.zeros(n_artists), where=album_count > 0),
        mu + num / den,
    )

    artist_has = (
        np.bincount(
            album_of_artist, weights=(has_t | has_r).astype(np.float64), minlength=n_artists
        )
        > 0
    ) | has_a
    album_has = has_t | has_r | artist_has[album_of_artist]

    parameters = Parameters(
        mu=mu,
        tau_album=math.sqrt(tau_b2),
        tau_artist=math.sqrt(tau_a2),
        sigma_within=math.sqrt(sigma_w2),
        theta=theta,
        filler_offset=filler_offset,
        critic_scale=kappa1,
        critic_offset=kappa0,
        critic_noise=math.sqrt(sigma_c2),
        critic_used=critic_used,
        album_rating_offset=delta_r,
        artist_rating_offset=delta_a,
        gamma=tuple(float(g) for g in gamma),
        beta=tuple(float(b) for b in beta),
        fallback=fallback,
    )
    return ModelFit(
        parameters=parameters,
        album_index=album_index,
        artist_index=artist_index,
        album_level=np.clip(level, 0.0, 10.0),
        album_rated=n.astype(np.int64),
        album_share=share,
        album_evidence=album_has,
        artist_value=np.clip(artist_level, 0.0, 10.0),
        artist_evidence=artist_has,
        track_keys=track_keys,
        track_value=value,
        critic=critic,
        unheard_shift=float(gamma[2]) if len(gamma) > 2 else 0.0,
    )


def _selection_from_plays(
    *,
    z: Floats,
    rating: Floats,
    ybar: Floats,
    ta: Ints,
    rated: npt.NDArray[np.bool_],
    multi: npt.NDArray[np.bool_],
    n: Floats,
    size: Floats,
    is_filler: npt.NDArray[np.bool_],
) -> float | None:
    """θ as the plays tell it, or None when they say too little about the person's taste.

    ``z`` (β·w) predicts a rated track's deviation from its album; r² is how much of that
    deviation it explains. If what makes a person rate a track is the same liking that makes them
    play it, the unrated tracks' plays run below their album's by r² times their true shortfall,
    so the shortfall is their plays' gap divided by r²; ``θ`` returned is the part of it the plays
    do not already carry, (1 − r²)·shortfall per unit of share rated.
    """
    sel = rated & multi[ta]
    if int(np.sum(sel)) < 30 or len(z) == 0:
        return None
    n_albums = len(n)
    zr = np.bincount(ta[sel], weights=z[sel], minlength=n_albums)
    zbar = np.divide(zr, n, out=np.zeros(n_albums), where=n > 0)
    dz = (z - zbar[ta])[sel]
    dy = (rating - ybar[ta])[sel]
    vz, vy = float(dz @ dz), float(dy @ dy)
    if vz <= 1e-12 or vy <= 1e-12:
        return None
    r2 = float(dz @ dy) ** 2 / (vz * vy)
    if r2 * int(np.sum(sel)) < 10.0:
        return None
    unrated = ~rated & ~is_filler
    u = np.bincount(ta[unrated], minlength=n_albums).astype(np.float64)
    zu = np.bincount(ta[unrated], weights=z[unrated], minlength=n_albums)
    heard = (n > 0) & (u > 0)
    if int(np.sum(heard)) < MIN_CALIBRATION:
        return None
    share = n / size
    zbar_u = np.divide(zu, u, out=np.zeros(n_albums), where=u > 0)
    weights = u[heard]
    sxx = float(np.sum(weights * share[heard] ** 2))
    if sxx <= 1e-12:
        return None
    shortfall = -float(np.sum(weights * share[heard] * zbar_u[heard])) / (r2 * sxx)
    return min(2.0, max(0.0, (1.0 - r2) * shortfall))


def _floats(values: array[float]) -> Floats:
    return np.frombuffer(values, dtype=np.float64).copy() if len(values) else np.zeros(0)
