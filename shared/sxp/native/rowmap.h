/* One JSONL line to a profile: the shape mapping of sxp.adapters.sources.shapes (X v2, TikTok
 * Research, Threads, generic) and the field normalizers, for the rows the C code is certain
 * about; FB hands a row to the Python path. Included by fastrows.c. */
#ifndef SXP_ROWMAP_H
#define SXP_ROWMAP_H

#include "rowoutput.h"

typedef struct {
    buf_t *arena, *scratch;
    const build_opts *opts;
} row_env;

static int set_count(profile_t *p, int k, const jval *v) {
    return norm_count(v, &p->counts[k], &p->has_count[k]);
}

static const jval *metric(const row_t *r, const metrics_t *m, int k) {
    if (m->v[k].kind != V_ABSENT) return &m->v[k];
    return &r->v[metric_flat_keys[k]];
}

static const jval *first_present(const row_t *r, const int *keys, int n) {
    for (int k = 0; k < n; k++)
        if (r->v[keys[k]].kind != V_ABSENT && r->v[keys[k]].kind != V_NULL) return &r->v[keys[k]];
    return &r->v[keys[0]];
}

/* `a or b` over two values; NULL when Python's truthiness of `a` is not certain here */
static const jval *either(const jval *a, const jval *b) {
    int t = truthy(a);
    return t < 0 ? NULL : t ? a : b;
}

typedef struct {
    const jval *handle, *puid, *display_name, *bio, *bio_url, *location, *avatar_url,
        *verified, *counts[4], *created, *scraped;
} mapped_t;

static int build_row(row_env *env, const uint8_t *line, size_t n, profile_t *p) {
    static const int scrape_keys[4] = {K_scraped_at, K_fetched_at, K_collected_at,
                                       K__scraped_at};
    row_t r;
    memset(&r, 0, sizeof r);
    if (js_object(line, line + n, row_member, &r, 1)) return FB;
    if (r.flat_metrics || r.v[K_data].kind != V_ABSENT || r.v[K__not_object].kind != V_ABSENT)
        return FB;
    int platform, rc;
    if (detect_platform(&r, env->opts->hint, &platform)) return FB;
    memset(p, 0, sizeof *p);
    buf_t *arena = env->arena;
    const callbacks_t *py = &env->opts->py;
    mapped_t m;
    metrics_t mt; /* X public_metrics: `m` points into it */
    memset(&mt, 0, sizeof mt);
    const jval *scraped = first_present(&r, scrape_keys, 4);
    int generic = (r.v[K_handle].kind != V_ABSENT && r.v[K_handle].kind != V_NULL) ||
                  (r.v[K_profile_url].kind != V_ABSENT && r.v[K_profile_url].kind != V_NULL) ||
                  platform == P_NONE;
    if (generic) {
        const jval *h = &r.v[K_handle];
        if (h->kind == V_ABSENT || h->kind == V_NULL) h = &r.v[K_username];
        m = (mapped_t){either(h, &r.v[K_profile_url]), &r.v[K_platform_user_id],
                       &r.v[K_display_name], &r.v[K_bio], &r.v[K_bio_url], &r.v[K_location],
                       &r.v[K_avatar_url], &r.v[K_is_verified],
                       {&r.v[K_followers], &r.v[K_following], &r.v[K_posts], &r.v[K_likes]},
                       &r.v[K_account_created_at], scraped};
        if ((rc = extra_generic(arena, py, p, &r.v[K_extra]))) return rc;
    } else if (platform == P_X) {
        if (r.v[K_entities].kind != V_ABSENT) return FB;
        const jval *pm = &r.v[K_public_metrics];
        if (pm->kind == V_OBJ && js_object(pm->s, pm->s + pm->n, metrics_member, &mt, 0))
            return FB;
        m = (mapped_t){&r.v[K_username], &r.v[K_id], &r.v[K_name], &r.v[K_description],
                       &r.v[K_url], &r.v[K_location], &r.v[K_profile_image_url],
                       &r.v[K_verified],
                       {metric(&r, &mt, M_followers_count), metric(&r, &mt, M_following_count),
                        metric(&r, &mt, M_tweet_count), metric(&r, &mt, M_like_count)},
                       &r.v[K_created_at], scraped};
        if ((rc = extra_fixed(arena, py, p, "listed_count", metric(&r, &mt, M_listed_count))))
            return rc;
    } else if (platform == P_TIKTOK) {
        m = (mapped_t){&r.v[K_username], either(&r.v[K_open_id], &r.v[K_id]),
                       &r.v[K_display_name], &r.v[K_bio_description], &r.v[K_bio_url],
                       &r.v[K_location], &r.v[K_avatar_url], &r.v[K_is_verified],
                       {&r.v[K_follower_count], &r.v[K_following_count], &r.v[K_video_count],
                        &r.v[K_likes_count]},
                       &r.v[K_create_time], scraped};
    } else {
        static const jval absent = {V_ABSENT, NULL, 0, 0, 0, 0};
        m = (mapped_t){&r.v[K_username], &r.v[K_id], &r.v[K_name], &r.v[K_biography],
                       either(&r.v[K_bio_url], &r.v[K_link]), &r.v[K_location],
                       &r.v[K_profile_picture_url], &r.v[K_is_verified],
                       {&r.v[K_follower_count], &r.v[K_following_count], &r.v[K_threads_count],
                        &r.v[K_likes_count]},
                       &absent, scraped};
        static const char *const extras[4] = {"quotes_count", "replies_count", "reposts_count",
                                              "views_count"};
        static const int extra_keys[4] = {K_quotes_count, K_replies_count, K_reposts_count,
                                          K_views_count};
        for (int k = 0; k < 4; k++)
            if ((rc = extra_fixed(arena, py, p, extras[k], &r.v[extra_keys[k]]))) return rc;
    }
    if (!m.handle || !m.puid || !m.bio_url) return FB;
    if ((rc = norm_handle(arena, m.handle, py, &platform, &p->handle))) return rc;
    if (platform == P_NONE) return FB; /* unknown_platform: Python rejects it */
    p->platform = platform;
    int found[3] = {0, 0, 0};
    if ((rc = clean_text(arena, m.display_name, 200, py, &found[0], &p->display_name)) ||
        (rc = clean_text(arena, m.bio, 4000, py, &found[1], &p->bio)) ||
        (rc = clean_text(arena, m.location, 200, py, &found[2], &p->location)) ||
        (rc = clean_text(arena, m.bio_url, 2000, NULL, NULL, &p->bio_url)))
        return rc;
    p->bio_has_contact = found[0] || found[1] || found[2];
    if ((rc = clean_text(arena, m.avatar_url, 2000, NULL, NULL, &p->avatar_url))) return rc;
    /* scrub_link: links that may be or carry a contact point are left to Python */
    if ((p->bio_url.present &&
         link_may_hold_contact(arena->p + p->bio_url.off, p->bio_url.len)) ||
        (p->avatar_url.present &&
         link_may_hold_contact(arena->p + p->avatar_url.off, p->avatar_url.len)))
        return FB;
    if ((rc = norm_id(arena, m.puid, &p->puid))) return rc;
    if ((rc = norm_bool(m.verified, &p->is_verified))) return rc;
    for (int k = 0; k < 4; k++)
        if ((rc = set_count(p, k, m.counts[k]))) return rc;
    const build_opts *o = env->opts;
    if ((rc = norm_ts(m.created, o->min_us, o->max_us, &p->created_us, &p->has_created)))
        return rc;
    int has_scraped;
    if ((rc = norm_ts(m.scraped, o->min_us, o->max_us, &p->scraped_us, &has_scraped))) return rc;
    if (!has_scraped) p->scraped_us = o->default_scraped_us;
    p->scraped_known = has_scraped;
    return OK;
}

#endif
