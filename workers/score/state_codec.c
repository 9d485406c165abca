/* state_codec.c -- the stored bytes of an account's state: a binary
 * encoding of its JSON tree. See state_codec.h. */
#include "score/state_codec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum {
    T_NULL = 0,
    T_TRUE = 1,
    T_FALSE = 2,
    T_INT = 3,
    T_REAL = 4,
    T_STRING = 5,
    T_ARRAY = 6,
    T_OBJECT = 7,
    T_INTS = 8
};

static const unsigned char magic[4] = {'R', 'V', 'S', 1};

/* ==== Encoding ==== */

typedef struct out {
    revos_score_bytes *buf;
    int ok;
} out;

static void put(out *o, const void *p, size_t n)
{
    revos_score_bytes *b = o->buf;
    if (!o->ok)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->len + n > cap)
            cap *= 2;
        unsigned char *grown = realloc(b->data, cap);
        if (grown == NULL) {
            o->ok = 0;
            return;
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void put_byte(out *o, unsigned char c)
{
    put(o, &c, 1);
}

static void put_varint(out *o, uint64_t v)
{
    unsigned char tmp[10];
    size_t n = 0;
    do {
        unsigned char c = (unsigned char)(v & 0x7f);
        v >>= 7;
        tmp[n++] = (unsigned char)(c | (v ? 0x80 : 0));
    } while (v != 0);
    put(o, tmp, n);
}

static uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

typedef struct member {
    const char *key;
    size_t len;
    const json_t *value;
} member;

static int member_cmp(const void *a, const void *b)
{
    const member *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->key, y->key, n);
    return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

static void encode(out *o, const json_t *v, int depth)
{
    if (depth > REVOS_SCORE_CODEC_MAX_DEPTH) {
        o->ok = 0;
        return;
    }
    switch (json_typeof(v)) {
    case JSON_NULL:
        put_byte(o, T_NULL);
        break;
    case JSON_TRUE:
        put_byte(o, T_TRUE);
        break;
    case JSON_FALSE:
        put_byte(o, T_FALSE);
        break;
    case JSON_INTEGER:
        put_byte(o, T_INT);
        put_varint(o, zigzag((int64_t)json_integer_value(v)));
        break;
    case JSON_REAL: {
        uint64_t bits;
        double x = json_real_value(v);
        memcpy(&bits, &x, sizeof bits);
        unsigned char le[8];
        for (int i = 0; i < 8; i++)
            le[i] = (unsigned char)(bits >> (8 * i));
        put_byte(o, T_REAL);
        put(o, le, sizeof le);
        break;
    }
    case JSON_STRING:
        put_byte(o, T_STRING);
        put_varint(o, json_string_length(v));
        put(o, json_string_value(v), json_string_length(v));
        break;
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        int ints = n > 0;
        for (size_t i = 0; i < n && ints; i++)
            ints = json_is_integer(json_array_get(v, i));
        put_byte(o, ints ? T_INTS : T_ARRAY);
        put_varint(o, n);
        for (size_t i = 0; i < n; i++) {
            if (ints)
                put_varint(o, zigzag((int64_t)json_integer_value(json_array_get(v, i))));
            else
                encode(o, json_array_get(v, i), depth + 1);
        }
        break;
    }
    case JSON_OBJECT: {
        size_t n = json_object_size(v), k = 0;
        member small[16];
        member *members = n <= 16 ? small : malloc(n * sizeof *members);
        if (members == NULL) {
            o->ok = 0;
            return;
        }
        const char *key;
        json_t *value;
        json_object_foreach ((json_t *)v, key, value)
            members[k++] = (member){key, strlen(key), value};
        qsort(members, n, sizeof *members, member_cmp);
        put_byte(o, T_OBJECT);
        put_varint(o, n);
        for (size_t i = 0; i < n && o->ok; i++) {
            put_varint(o, members[i].len);
            put(o, members[i].key, members[i].len);
            encode(o, members[i].value, depth + 1);
        }
        if (members != small)
            free(members);
        break;
    }
    }
}

int revos_score_state_encode(const json_t *state, revos_score_bytes *buf)
{
    size_t start = buf->len;
    out o = {buf, 1};
    put(&o, magic, sizeof magic);
    encode(&o, state, 0);
    if (!o.ok) {
        buf->len = start;
        return -1;
    }
    return 0;
}

/* ==== Decoding ==== */

typedef struct in {
    const unsigned char *p, *end;
} in;

static int get_varint(in *s, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (s->p >= s->end)
            return -1;
        unsigned char c = *s->p++;
        x |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

/* A count or length that fits in what is left (each item takes >= 1 byte). */
static int get_size(in *s, size_t *n)
{
    uint64_t v;
    if (get_varint(s, &v) != 0 || v > (uint64_t)(s->end - s->p))
        return -1;
    *n = (size_t)v;
    return 0;
}

static int64_t unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static json_t *decode(in *s, int depth)
{
    if (depth > REVOS_SCORE_CODEC_MAX_DEPTH || s->p >= s->end)
        return NULL;
    unsigned char tag = *s->p++;
    uint64_t u;
    size_t n;
    switch (tag) {
    case T_NULL:
        return json_null();
    case T_TRUE:
        return json_true();
    case T_FALSE:
        return json_false();
    case T_INT:
        return get_varint(s, &u) == 0 ? json_integer((json_int_t)unzigzag(u)) : NULL;
    case T_REAL: {
        if (s->end - s->p < 8)
            return NULL;
        uint64_t bits = 0;
        for (int i = 0; i < 8; i++)
            bits |= (uint64_t)s->p[i] << (8 * i);
        s->p += 8;
        double x;
        memcpy(&x, &bits, sizeof x);
        return json_real(x); /* NULL for NaN and infinities */
    }
    case T_STRING: {
        if (get_size(s, &n) != 0)
            return NULL;
        json_t *str = json_stringn((const char *)s->p, n); /* checks UTF-8 */
        s->p += n;
        return str;
    }
    case T_ARRAY:
    case T_INTS: {
        if (get_size(s, &n) != 0 || (tag == T_INTS && n == 0))
            return NULL;
        json_t *array = json_array();
        for (size_t i = 0; array != NULL && i < n; i++) {
            json_t *item = NULL;
            if (tag == T_INTS)
                item = get_varint(s, &u) == 0 ? json_integer((json_int_t)unzigzag(u)) : NULL;
            else
                item = decode(s, depth + 1);
            if (item == NULL || json_array_append_new(array, item) != 0) {
                json_decref(array);
                array = NULL;
            }
        }
        return array;
    }
    case T_OBJECT: {
        if (get_size(s, &n) != 0)
            return NULL;
        json_t *object = json_object();
        for (size_t i = 0; object != NULL && i < n; i++) {
            size_t klen;
            json_t *value = NULL;
            const char *key = NULL;
            /* keys are C strings: one holding a NUL is not a state's */
            if (get_size(s, &klen) == 0 && memchr(s->p, '\0', klen) == NULL) {
                key = (const char *)s->p;
                s->p += klen;
                value = decode(s, depth + 1);
            }
            /* json_object_setn_new checks the key's UTF-8 and takes value */
            if (value == NULL || json_object_setn_new(object, key, klen, value) != 0) {
                json_decref(object);
                object = NULL;
            }
        }
        return object;
    }
    default:
        return NULL;
    }
}

json_t *revos_score_state_decode(const unsigned char *bytes, size_t len, revos_err *err)
{
    if (len < sizeof magic || memcmp(bytes, magic, sizeof magic) != 0) {
        revos_fail(err, REVOS_ERR_FATAL, "stored score state is not an encoded state (%zu bytes)", len);
        return NULL;
    }
    in s = {bytes + sizeof magic, bytes + len};
    json_t *state = decode(&s, 0);
    if (!json_is_object(state) || s.p != s.end) {
        size_t at = (size_t)(s.p - bytes);
        json_decref(state);
        revos_fail(err, REVOS_ERR_FATAL, "stored score state is corrupt near byte %zu of %zu", at, len);
        return NULL;
    }
    return state;
}
