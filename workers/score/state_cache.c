/* state_cache.c -- bounded LRU cache of decoded account states; see
 * state_cache.h. Entries live in a slab, found by account through a
 * jansson object (account -> slot) and ordered by use in a doubly linked
 * list through the slab. */
#include "score/state_cache.h"

#include <stdlib.h>
#include <string.h>

typedef struct entry {
    json_t *state;      /* NULL: the slot is free */
    char *account;
    int64_t version;
    int32_t partition;
    size_t bytes;
    size_t prev, next;  /* use order (NONE at the ends); next also links free slots */
} entry;

#define NONE ((size_t)-1)

struct revos_score_cache {
    size_t max_bytes, bytes, count;
    uint64_t evictions;
    entry *slots;
    size_t cap;
    size_t free_head;
    size_t newest, oldest;
    json_t *index;      /* account -> slot */
};

revos_score_cache *revos_score_cache_new(size_t max_bytes)
{
    revos_score_cache *c = calloc(1, sizeof *c);
    if (c == NULL || (c->index = json_object()) == NULL) {
        free(c);
        return NULL;
    }
    c->max_bytes = max_bytes;
    c->free_head = c->newest = c->oldest = NONE;
    return c;
}

static void unlink_slot(revos_score_cache *c, size_t i)
{
    entry *e = &c->slots[i];
    if (e->prev != NONE)
        c->slots[e->prev].next = e->next;
    else
        c->newest = e->next;
    if (e->next != NONE)
        c->slots[e->next].prev = e->prev;
    else
        c->oldest = e->prev;
    e->prev = e->next = NONE;
}

static void link_newest(revos_score_cache *c, size_t i)
{
    entry *e = &c->slots[i];
    e->prev = NONE;
    e->next = c->newest;
    if (c->newest != NONE)
        c->slots[c->newest].prev = i;
    c->newest = i;
    if (c->oldest == NONE)
        c->oldest = i;
}

static void release(revos_score_cache *c, size_t i)
{
    entry *e = &c->slots[i];
    unlink_slot(c, i);
    json_object_del(c->index, e->account);
    json_decref(e->state);
    free(e->account);
    c->bytes -= e->bytes;
    c->count--;
    memset(e, 0, sizeof *e);
    e->prev = NONE;
    e->next = c->free_head;
    c->free_head = i;
}

void revos_score_cache_free(revos_score_cache *c)
{
    if (c == NULL)
        return;
    while (c->oldest != NONE)
        release(c, c->oldest);
    json_decref(c->index);
    free(c->slots);
    free(c);
}

static size_t slot_of(const revos_score_cache *c, const char *account)
{
    const json_t *slot = json_object_get(c->index, account);
    return slot != NULL ? (size_t)json_integer_value(slot) : NONE;
}

json_t *revos_score_cache_get(revos_score_cache *c, const char *account, int64_t *version)
{
    size_t i = slot_of(c, account);
    if (i == NONE)
        return NULL;
    unlink_slot(c, i);
    link_newest(c, i);
    *version = c->slots[i].version;
    return c->slots[i].state;
}

static size_t take_slot(revos_score_cache *c)
{
    if (c->free_head == NONE) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        entry *grown = realloc(c->slots, cap * sizeof *grown);
        if (grown == NULL)
            return NONE;
        for (size_t i = cap; i-- > c->cap;) {
            memset(&grown[i], 0, sizeof grown[i]);
            grown[i].prev = NONE;
            grown[i].next = c->free_head;
            c->free_head = i;
        }
        c->slots = grown;
        c->cap = cap;
    }
    size_t i = c->free_head;
    c->free_head = c->slots[i].next;
    c->slots[i].next = NONE;
    return i;
}

int revos_score_cache_put(revos_score_cache *c, const char *account, json_t *state,
                          int64_t version, int32_t partition, size_t bytes)
{
    revos_score_cache_drop(c, account);
    if (bytes > c->max_bytes)
        return 0;
    while (c->oldest != NONE && c->bytes + bytes > c->max_bytes) {
        release(c, c->oldest);
        c->evictions++;
    }
    size_t i = take_slot(c);
    if (i == NONE)
        return -1;
    entry *e = &c->slots[i];
    e->account = strdup(account);
    if (e->account == NULL || json_object_set_new(c->index, account, json_integer((json_int_t)i))) {
        free(e->account);
        e->account = NULL;
        e->next = c->free_head;
        c->free_head = i;
        return -1;
    }
    e->state = json_incref(state);
    e->version = version;
    e->partition = partition;
    e->bytes = bytes;
    c->bytes += bytes;
    c->count++;
    link_newest(c, i);
    return 0;
}

void revos_score_cache_drop(revos_score_cache *c, const char *account)
{
    size_t i = slot_of(c, account);
    if (i != NONE)
        release(c, i);
}

void revos_score_cache_drop_partition(revos_score_cache *c, int32_t partition)
{
    for (size_t i = 0; i < c->cap; i++)
        if (c->slots[i].state != NULL && c->slots[i].partition == partition)
            release(c, i);
}

size_t revos_score_cache_count(const revos_score_cache *c)
{
    return c->count;
}

size_t revos_score_cache_bytes(const revos_score_cache *c)
{
    return c->bytes;
}

uint64_t revos_score_cache_evictions(const revos_score_cache *c)
{
    return c->evictions;
}
