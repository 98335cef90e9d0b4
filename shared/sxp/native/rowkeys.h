/* The source keys the native path reads (X API v2, TikTok Research, Threads, generic v1) and
 * the slots they land in; see sxp.adapters.sources.shapes for the mapping it mirrors. */
#ifndef SXP_ROWKEYS_H
#define SXP_ROWKEYS_H

#include "jsonscan.h"

#define ROW_KEYS(X)                                                                          \
    X(platform) X(source_platform) X(handle) X(profile_url) X(username) X(scraped_at)         \
    X(fetched_at) X(collected_at) X(_scraped_at) X(data) X(_not_object) X(public_metrics)   \
    X(description) X(tweet_count) X(bio_description) X(video_count) X(bio_url) X(biography) \
    X(quotes_count) X(replies_count) X(reposts_count) X(views_count) X(platform_user_id)    \
    X(display_name) X(bio) X(location) X(avatar_url) X(is_verified) X(followers)            \
    X(following) X(posts) X(likes) X(account_created_at) X(extra) X(id) X(name) X(url)      \
    X(verified) X(created_at) X(profile_image_url) X(entities) X(open_id) X(follower_count) \
    X(following_count) X(likes_count) X(create_time) X(link) X(profile_picture_url)         \
    X(threads_count) X(followers_count) X(like_count) X(listed_count)

#define AS_ENUM(name) K_##name,
enum { ROW_KEYS(AS_ENUM) K_COUNT };
#undef AS_ENUM

#define AS_NAME(name) #name,
static const char *const row_key_names[K_COUNT] = {ROW_KEYS(AS_NAME)};
#undef AS_NAME

/* X public_metrics members */
enum { M_followers_count, M_following_count, M_tweet_count, M_like_count, M_listed_count,
       M_COUNT };
static const char *const metric_names[M_COUNT] = {
    "followers_count", "following_count", "tweet_count", "like_count", "listed_count"};
static const int metric_flat_keys[M_COUNT] = {
    K_followers_count, K_following_count, K_tweet_count, K_like_count, K_listed_count};

/* keys by (length, first byte): a few candidates to compare at most */
#define KEY_MAX_LEN 24
static int8_t key_index[KEY_MAX_LEN + 1][128][4];

static void row_keys_init(void) {
    memset(key_index, -1, sizeof key_index);
    for (int k = 0; k < K_COUNT; k++) {
        size_t n = strlen(row_key_names[k]);
        int8_t *slot = key_index[n][(uint8_t)row_key_names[k][0]];
        int i = 0;
        while (slot[i] >= 0) i++; /* at most 4 keys share a length and first byte */
        slot[i] = (int8_t)k;
    }
}

static int row_key_find(const uint8_t *s, size_t n) {
    if (n > KEY_MAX_LEN || s[0] >= 128) return -1;
    const int8_t *slot = key_index[n][s[0]];
    for (int i = 0; i < 4 && slot[i] >= 0; i++)
        if (!memcmp(s, row_key_names[slot[i]], n)) return slot[i];
    return -1;
}

typedef struct {
    jval v[K_COUNT];
    int flat_metrics; /* a "public_metrics.*" key: the X flat CSV form, left to Python */
} row_t;

static int row_member(void *ctx, const uint8_t *key, size_t n, int esc, const jval *v) {
    row_t *row = ctx;
    if (esc) return 1;
    if (n > 15 && !memcmp(key, "public_metrics.", 15)) { row->flat_metrics = 1; return 0; }
    if (n == 0) return 0;
    int k = row_key_find(key, n);
    if (k < 0) return 0;
    if (row->v[k].kind != V_ABSENT) return 1; /* duplicate: orjson keeps the last */
    row->v[k] = *v;
    return 0;
}

typedef struct {
    jval v[M_COUNT];
} metrics_t;

static int metrics_member(void *ctx, const uint8_t *key, size_t n, int esc, const jval *v) {
    metrics_t *m = ctx;
    if (esc) return 1;
    for (int k = 0; k < M_COUNT; k++) {
        if (strlen(metric_names[k]) == n && !memcmp(key, metric_names[k], n)) {
            if (m->v[k].kind != V_ABSENT) return 1;
            m->v[k] = *v;
            return 0;
        }
    }
    return 0;
}

#endif
