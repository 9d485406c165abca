/* state_cache.h -- revos-score's bounded cache of decoded account states,
 * kept across batches so an account touched again is not read and decoded
 * again.
 *
 * PostgreSQL stays the truth: every state is saved by each batch that
 * touches it, with the id of the saving transaction as its version
 * (score_account_state.version). An entry holds the state as that save
 * wrote it and the version; a batch still reads and locks its accounts'
 * rows, and takes the cached state only when the row's version is the
 * cached one (store.h). A save that rolled back, another instance writing
 * the account after a rebalance, or a restore all show as another version,
 * and the row is decoded as without a cache. Transaction ids are never
 * reused, so a version names one content.
 *
 * Bounded by an estimate of the memory the decoded trees take (the caller
 * gives each entry's size); the least recently used entries go first.
 * Entries carry the partition of revos.signals their account's signals
 * arrive on, so a revoked partition's states are dropped. Not thread-safe:
 * one per worker instance. */
#ifndef REVOS_SCORE_STATE_CACHE_H
#define REVOS_SCORE_STATE_CACHE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct revos_score_cache revos_score_cache;

/* A cache holding at most max_bytes of entries (0: holds nothing); NULL
 * when out of memory. */
revos_score_cache *revos_score_cache_new(size_t max_bytes);
void revos_score_cache_free(revos_score_cache *cache);

/* The cached state of account (borrowed; the caller may change it only if
 * it then puts or drops it) and its version; NULL when not cached. Counts
 * as a use. */
json_t *revos_score_cache_get(revos_score_cache *cache, const char *account, int64_t *version);

/* Caches state (a new reference is taken) as saved with version, for an
 * account of partition, sized bytes; replaces an entry of the account and
 * evicts the least recently used beyond the bound. An entry larger than
 * the bound is not kept. Returns 0, or -1 when out of memory (nothing
 * cached for account then). */
int revos_score_cache_put(revos_score_cache *cache, const char *account, json_t *state,
                          int64_t version, int32_t partition, size_t bytes);

/* Forgets account (a state changed but not saved, or saved elsewhere). */
void revos_score_cache_drop(revos_score_cache *cache, const char *account);

/* Forgets every account of partition (revoked from this instance). */
void revos_score_cache_drop_partition(revos_score_cache *cache, int32_t partition);

/* Entries held, their estimated bytes, and entries evicted so far. */
size_t revos_score_cache_count(const revos_score_cache *cache);
size_t revos_score_cache_bytes(const revos_score_cache *cache);
uint64_t revos_score_cache_evictions(const revos_score_cache *cache);

#endif
