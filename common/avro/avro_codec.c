/* avro_codec.c -- the project's records as Avro, framed for Kafka.
 *
 * Open parses the seven embedded schemas once (avro-c schema, generic value
 * class, one reusable generic value each) and computes each schema's
 * Parsing Canonical Form and CRC-64-AVRO fingerprint (canonical.c).
 *
 * Encode: jansson object -> generic value (checking every field against the
 * schema, naming the field path on a mismatch) -> avro_value_write into one
 * malloc'd buffer behind the frame header: single-object encoding without a
 * registry, Confluent wire format with one (the schema id is registered
 * lazily per topic and type and cached).
 *
 * Decode: frame header -> record type (by fingerprint, or by schema id:
 * cached, else fetched from the registry and matched by canonical form) ->
 * a bounded walk over the body -> avro_value_read -> jansson object.
 *
 * Why the walk: avro-c 1.11.1 trusts lengths. Its read_string/read_bytes
 * malloc a length taken straight from a varint (a hostile 2^62 asks the
 * allocator for 4 EiB; a negative one writes before the buffer), it loops
 * over an array block count without bound, and it leaks the buffer it
 * allocated when the bytes after a length are missing. So the body is
 * first walked against the schema with every length bounded by the bytes
 * that are left, every union branch and enum index checked, block counts
 * and nesting bounded, and the walk must end exactly at the end of the
 * record. Only a body that passes reaches avro-c's reader.
 *
 * Thread-safety: a revos_avro is owned by one thread (see the header). */
#include "avro/avro_codec.h"

#include <avro.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro/registry.h"

/* Generated from schemas/<name>.avsc by schemas/CMakeLists.txt, in enum order,
 * NULL-terminated. */
extern const struct revos_embedded_schema {
    const char *name;
    const char *json;
} revos_embedded_schemas[];

#define SINGLE_OBJECT_HEADER 10 /* C3 01 + 8-byte fingerprint */
#define CONFLUENT_HEADER 5      /* 00 + 4-byte schema id */
#define MAX_DEPTH 64            /* schema nesting followed by walk and converters */
#define MAX_ITEMS REVOS_AVRO_MAX_RECORD /* array items + map entries per record */
#define MAX_CACHED_IDS 4096

/* ==== Codec state ==== */

/* A record schema inside one of our schemas, with its JSON field list
 * (avro-c drops field defaults, so they are looked up here). */
typedef struct record_fields {
    avro_schema_t record;
    const json_t *fields;
} record_fields;

typedef struct codec_schema {
    avro_schema_t schema;
    avro_value_iface_t *iface;
    avro_value_t value; /* reused for every record of this type */
    bool has_value;
    json_t *json;       /* the schema document */
    char *canonical;
    uint64_t fingerprint;
    record_fields *records;
    size_t n_records;
} codec_schema;

/* A Confluent schema id seen on the wire or learned by registering. */
typedef struct id_entry {
    int32_t id;
    int type; /* a revos_record_type, or -1: not one of ours */
} id_entry;

/* The id our schema got under "<topic>-value". */
typedef struct subject_entry {
    char *topic;
    revos_record_type type;
    int32_t id;
} subject_entry;

struct revos_avro {
    codec_schema schemas[REVOS_REC__COUNT];
    avro_reader_t reader;
    avro_writer_t writer;
    revos_avro_registry *registry; /* NULL: single-object framing */
    id_entry *ids;
    size_t n_ids;
    subject_entry *subjects;
    size_t n_subjects;
};

static const char *const type_names[REVOS_REC__COUNT] = {
    "SourceEvent", "Signal", "ScoreUpdate", "Action", "Outcome", "ThresholdChange", "DeadLetter",
};

const char *revos_record_type_name(revos_record_type type)
{
    if ((int)type < 0 || type >= REVOS_REC__COUNT)
        return "unknown";
    return type_names[type];
}

static bool valid_type(revos_record_type type)
{
    return (int)type >= 0 && type < REVOS_REC__COUNT;
}

static avro_schema_t resolve(avro_schema_t schema)
{
    while (schema != NULL && avro_typeof(schema) == AVRO_LINK)
        schema = avro_schema_link_target(schema);
    return schema;
}

/* ==== Field paths for messages ==== */

typedef struct conv {
    const codec_schema *cs;
    revos_err *err;
    char path[256];
    size_t path_len;
} conv;

/* Path steps: '.name', '[index]', '["key"]'. Each returns the mark to
 * restore with path_pop; a path too long for the buffer is cut short. */
static size_t path_advance(conv *c, int n, size_t room)
{
    size_t mark = c->path_len;
    if (n > 0)
        c->path_len += (size_t)n < room ? (size_t)n : room - 1;
    return mark;
}

static size_t path_field(conv *c, const char *name)
{
    size_t room = sizeof c->path - c->path_len;
    return path_advance(c, snprintf(c->path + c->path_len, room, ".%s", name), room);
}

static size_t path_index(conv *c, size_t index)
{
    size_t room = sizeof c->path - c->path_len;
    return path_advance(c, snprintf(c->path + c->path_len, room, "[%zu]", index), room);
}

static size_t path_key(conv *c, const char *key)
{
    size_t room = sizeof c->path - c->path_len;
    return path_advance(c, snprintf(c->path + c->path_len, room, "[\"%s\"]", key), room);
}

static void path_pop(conv *c, size_t mark)
{
    c->path_len = mark;
    c->path[mark] = '\0';
}

static void path_start(conv *c, revos_record_type type)
{
    c->path_len = (size_t)snprintf(c->path, sizeof c->path, "%s", type_names[type]);
}

static const char *json_kind(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "real";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    case JSON_NULL: return "null";
    }
    return "unknown";
}

/* The schema's type as a reader would name it: "long", "Owner", "array". */
static const char *schema_kind(avro_schema_t schema)
{
    schema = resolve(schema);
    switch (avro_typeof(schema)) {
    case AVRO_STRING: return "string";
    case AVRO_BYTES: return "bytes";
    case AVRO_INT32: return "int";
    case AVRO_INT64: return "long";
    case AVRO_FLOAT: return "float";
    case AVRO_DOUBLE: return "double";
    case AVRO_BOOLEAN: return "boolean";
    case AVRO_NULL: return "null";
    case AVRO_ARRAY: return "array";
    case AVRO_MAP: return "map";
    case AVRO_RECORD:
    case AVRO_ENUM:
    case AVRO_FIXED: return avro_schema_name(schema);
    default: return "union";
    }
}

static revos_status mismatch(conv *c, avro_schema_t schema, const json_t *j)
{
    schema = resolve(schema);
    if (avro_typeof(schema) != AVRO_UNION)
        return revos_reject(c->err, "validation", "%s: expected %s, got %s", c->path,
                            schema_kind(schema), json_kind(j));
    char want[128] = "";
    size_t n = avro_schema_union_size(schema);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(want);
        snprintf(want + len, sizeof want - len, "%s%s", i == 0 ? "" : " or ",
                 schema_kind(avro_schema_union_branch(schema, (int)i)));
    }
    return revos_reject(c->err, "validation", "%s: expected %s, got %s", c->path, want,
                        json_kind(j));
}

static revos_status avro_failure(conv *c, const char *what)
{
    return revos_fail(c->err, REVOS_ERR_FATAL, "%s: avro %s: %s", c->path, what, avro_strerror());
}

/* ==== Bytes as ISO-8859-1 text ==== */

/* Decodes UTF-8 text whose code points are all 0-255 into bytes. out has
 * room for n bytes. Returns false with *bad set to the offending code point
 * (or 0xFFFFFFFF for malformed UTF-8). */
static bool bytes_from_text(const char *text, size_t n, uint8_t *out, size_t *out_len,
                            uint32_t *bad)
{
    const uint8_t *s = (const uint8_t *)text;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        uint8_t b = s[i];
        if (b < 0x80) {
            out[o++] = b;
            i++;
            continue;
        }
        int extra = (b & 0xE0) == 0xC0 ? 1 : (b & 0xF0) == 0xE0 ? 2 : (b & 0xF8) == 0xF0 ? 3 : -1;
        if (extra < 0 || (size_t)extra >= n - i) {
            *bad = UINT32_MAX;
            return false;
        }
        uint32_t cp = b & (0x3F >> extra);
        for (int k = 1; k <= extra; k++) {
            if ((s[i + (size_t)k] & 0xC0) != 0x80) {
                *bad = UINT32_MAX;
                return false;
            }
            cp = (cp << 6) | (s[i + (size_t)k] & 0x3F);
        }
        if (cp > 0xFF || cp < 0x80) { /* above Latin-1, or an overlong form */
            *bad = cp < 0x80 ? UINT32_MAX : cp;
            return false;
        }
        out[o++] = (uint8_t)cp;
        i += (size_t)extra + 1;
    }
    *out_len = o;
    return true;
}

/* Bytes -> a jansson string of code points 0-255 (each byte one character). */
static json_t *text_from_bytes(const uint8_t *bytes, size_t n)
{
    if (n == 0)
        return json_string("");
    char stack[512];
    char *buf = n * 2 <= sizeof stack ? stack : malloc(n * 2);
    if (buf == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (bytes[i] < 0x80) {
            buf[o++] = (char)bytes[i];
        } else {
            buf[o++] = (char)(0xC0 | (bytes[i] >> 6));
            buf[o++] = (char)(0x80 | (bytes[i] & 0x3F));
        }
    }
    json_t *text = json_stringn(buf, o);
    if (buf != stack)
        free(buf);
    return text;
}

/* ==== JSON -> Avro ==== */

static revos_status set_value(conv *c, avro_value_t *v, const json_t *j, int depth);

/* Whether JSON value j can be held by a union branch of this schema. strict
 * takes only the natural kind (integer -> int/long, string -> string), lax
 * also the wider ones (integer -> double, string -> bytes). */
static bool branch_accepts(avro_schema_t branch, const json_t *j, bool strict)
{
    branch = resolve(branch);
    switch (avro_typeof(branch)) {
    case AVRO_NULL: return json_is_null(j);
    case AVRO_BOOLEAN: return json_is_boolean(j);
    case AVRO_INT32:
        return json_is_integer(j) && json_integer_value(j) >= INT32_MIN &&
               json_integer_value(j) <= INT32_MAX;
    case AVRO_INT64: return json_is_integer(j);
    case AVRO_FLOAT:
    case AVRO_DOUBLE: return strict ? json_is_real(j) : json_is_number(j);
    case AVRO_STRING: return json_is_string(j);
    case AVRO_BYTES:
    case AVRO_FIXED: return !strict && json_is_string(j);
    case AVRO_ENUM:
        return !strict && json_is_string(j) &&
               avro_schema_enum_get_by_name(branch, json_string_value(j)) >= 0;
    case AVRO_RECORD: return json_is_object(j);
    case AVRO_MAP: return !strict && json_is_object(j);
    case AVRO_ARRAY: return json_is_array(j);
    default: return false;
    }
}

static const json_t *field_default(const codec_schema *cs, avro_schema_t record, size_t index)
{
    for (size_t i = 0; i < cs->n_records; i++)
        if (cs->records[i].record == record)
            return json_object_get(json_array_get(cs->records[i].fields, index), "default");
    return NULL;
}

static bool union_has_null(avro_schema_t schema)
{
    schema = resolve(schema);
    if (avro_typeof(schema) != AVRO_UNION)
        return false;
    for (size_t i = 0; i < avro_schema_union_size(schema); i++)
        if (avro_typeof(resolve(avro_schema_union_branch(schema, (int)i))) == AVRO_NULL)
            return true;
    return false;
}

static revos_status set_record(conv *c, avro_value_t *v, const json_t *j, int depth)
{
    avro_schema_t schema = avro_value_get_schema(v);
    if (!json_is_object(j))
        return mismatch(c, schema, j);
    size_t n_fields = avro_schema_record_size(schema);
    size_t present = 0;
    for (size_t i = 0; i < n_fields; i++) {
        avro_value_t field;
        const char *name;
        if (avro_value_get_by_index(v, i, &field, &name) != 0)
            return avro_failure(c, "get field");
        size_t mark = path_field(c, name);
        const json_t *fj = json_object_get(j, name);
        if (fj != NULL) {
            present++;
        } else {
            fj = field_default(c->cs, schema, i);
            if (fj == NULL && union_has_null(avro_value_get_schema(&field)))
                fj = json_null();
            if (fj == NULL)
                return revos_reject(c->err, "validation", "%s: missing required field", c->path);
        }
        revos_status st = set_value(c, &field, fj, depth + 1);
        if (st != REVOS_OK)
            return st;
        path_pop(c, mark);
    }
    if (json_object_size(j) != present) {
        const char *key;
        const json_t *unused;
        json_object_foreach((json_t *)j, key, unused) {
            if (avro_schema_record_field_get_index(schema, key) < 0)
                return revos_reject(c->err, "validation", "%s: unknown field '%s'", c->path,
                                    key);
        }
    }
    return REVOS_OK;
}

static revos_status set_union(conv *c, avro_value_t *v, const json_t *j, int depth)
{
    avro_schema_t schema = avro_value_get_schema(v);
    size_t n = avro_schema_union_size(schema);
    int chosen = -1;
    for (int pass = 0; pass < 2 && chosen < 0; pass++)
        for (size_t i = 0; i < n && chosen < 0; i++)
            if (branch_accepts(avro_schema_union_branch(schema, (int)i), j, pass == 0))
                chosen = (int)i;
    if (chosen < 0)
        return mismatch(c, schema, j);
    avro_value_t branch;
    if (avro_value_set_branch(v, chosen, &branch) != 0)
        return avro_failure(c, "set branch");
    return set_value(c, &branch, j, depth + 1);
}

static revos_status set_bytes_like(conv *c, avro_value_t *v, avro_type_t type, const json_t *j)
{
    if (!json_is_string(j))
        return mismatch(c, avro_value_get_schema(v), j);
    size_t n = json_string_length(j);
    uint8_t stack[256];
    uint8_t *buf = n <= sizeof stack ? stack : malloc(n ? n : 1);
    if (buf == NULL)
        return revos_fail(c->err, REVOS_ERR_FATAL, "%s: out of memory", c->path);
    size_t len = 0;
    uint32_t bad = 0;
    revos_status st = REVOS_OK;
    if (!bytes_from_text(json_string_value(j), n, buf, &len, &bad)) {
        if (bad == UINT32_MAX)
            st = revos_reject(c->err, "validation", "%s: bytes text is not valid UTF-8", c->path);
        else
            st = revos_reject(c->err, "validation",
                              "%s: bytes text holds U+%04" PRIX32 ", above U+00FF", c->path, bad);
    } else if (type == AVRO_FIXED) {
        int64_t size = avro_schema_fixed_size(avro_value_get_schema(v));
        if ((int64_t)len != size)
            st = revos_reject(c->err, "validation", "%s: expected %" PRId64 " bytes, got %zu",
                              c->path, size, len);
        else if (avro_value_set_fixed(v, buf, len) != 0)
            st = avro_failure(c, "set fixed");
    } else if (avro_value_set_bytes(v, buf, len) != 0) {
        st = avro_failure(c, "set bytes");
    }
    if (buf != stack)
        free(buf);
    return st;
}

static revos_status set_value(conv *c, avro_value_t *v, const json_t *j, int depth)
{
    if (depth > MAX_DEPTH)
        return revos_reject(c->err, "validation", "%s: nested too deeply", c->path);
    avro_type_t type = avro_value_get_type(v);
    avro_schema_t schema = avro_value_get_schema(v);
    int rc = 0;
    switch (type) {
    case AVRO_STRING:
        if (!json_is_string(j))
            return mismatch(c, schema, j);
        rc = avro_value_set_string_len(v, json_string_value(j), json_string_length(j) + 1);
        break;
    case AVRO_BYTES:
    case AVRO_FIXED:
        return set_bytes_like(c, v, type, j);
    case AVRO_INT32:
        if (!json_is_integer(j))
            return mismatch(c, schema, j);
        if (json_integer_value(j) < INT32_MIN || json_integer_value(j) > INT32_MAX)
            return revos_reject(c->err, "validation", "%s: %" JSON_INTEGER_FORMAT
                                " is out of range for int", c->path, json_integer_value(j));
        rc = avro_value_set_int(v, (int32_t)json_integer_value(j));
        break;
    case AVRO_INT64:
        if (!json_is_integer(j))
            return mismatch(c, schema, j);
        rc = avro_value_set_long(v, (int64_t)json_integer_value(j));
        break;
    case AVRO_FLOAT:
        if (!json_is_number(j))
            return mismatch(c, schema, j);
        if (fabs(json_number_value(j)) > FLT_MAX)
            return revos_reject(c->err, "validation", "%s: %g is out of range for float", c->path,
                                json_number_value(j));
        rc = avro_value_set_float(v, (float)json_number_value(j));
        break;
    case AVRO_DOUBLE:
        if (!json_is_number(j))
            return mismatch(c, schema, j);
        rc = avro_value_set_double(v, json_number_value(j));
        break;
    case AVRO_BOOLEAN:
        if (!json_is_boolean(j))
            return mismatch(c, schema, j);
        rc = avro_value_set_boolean(v, json_is_true(j));
        break;
    case AVRO_NULL:
        if (!json_is_null(j))
            return mismatch(c, schema, j);
        rc = avro_value_set_null(v);
        break;
    case AVRO_ENUM: {
        int symbol = json_is_string(j) ? avro_schema_enum_get_by_name(schema, json_string_value(j))
                                       : -1;
        if (symbol < 0) {
            if (!json_is_string(j))
                return mismatch(c, schema, j);
            return revos_reject(c->err, "validation", "%s: '%s' is not a symbol of %s", c->path,
                                json_string_value(j), avro_schema_name(schema));
        }
        rc = avro_value_set_enum(v, symbol);
        break;
    }
    case AVRO_RECORD:
        return set_record(c, v, j, depth);
    case AVRO_UNION:
        return set_union(c, v, j, depth);
    case AVRO_ARRAY: {
        if (!json_is_array(j))
            return mismatch(c, schema, j);
        size_t i;
        const json_t *item;
        json_array_foreach(j, i, item) {
            avro_value_t child;
            if (avro_value_append(v, &child, NULL) != 0)
                return avro_failure(c, "append");
            size_t mark = path_index(c, i);
            revos_status st = set_value(c, &child, item, depth + 1);
            if (st != REVOS_OK)
                return st;
            path_pop(c, mark);
        }
        break;
    }
    case AVRO_MAP: {
        if (!json_is_object(j))
            return mismatch(c, schema, j);
        const char *key;
        const json_t *item;
        json_object_foreach((json_t *)j, key, item) {
            size_t mark = path_key(c, key);
            if (json_object_iter_key_len(json_object_key_to_iter(key)) != strlen(key))
                return revos_reject(c->err, "validation", "%s: map key contains NUL", c->path);
            avro_value_t child;
            if (avro_value_add(v, key, &child, NULL, NULL) != 0)
                return avro_failure(c, "add");
            revos_status st = set_value(c, &child, item, depth + 1);
            if (st != REVOS_OK)
                return st;
            path_pop(c, mark);
        }
        break;
    }
    default:
        return revos_fail(c->err, REVOS_ERR_FATAL, "%s: unsupported Avro type %d", c->path,
                          (int)type);
    }
    if (rc != 0)
        return avro_failure(c, "set");
    return REVOS_OK;
}

/* ==== Avro -> JSON ==== */

static revos_status to_json(conv *c, avro_value_t *v, json_t **out, int depth);

static revos_status decode_fail(conv *c, const char *what)
{
    return revos_reject(c->err, "decode", "%s: %s", c->path, what);
}

static revos_status record_to_json(conv *c, avro_value_t *v, json_t **out, int depth)
{
    size_t n;
    if (avro_value_get_size(v, &n) != 0)
        return avro_failure(c, "get size");
    json_t *obj = json_object();
    if (obj == NULL)
        return revos_fail(c->err, REVOS_ERR_FATAL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        avro_value_t field;
        const char *name;
        json_t *item;
        if (avro_value_get_by_index(v, i, &field, &name) != 0) {
            json_decref(obj);
            return avro_failure(c, "get field");
        }
        size_t mark = path_field(c, name);
        revos_status st = to_json(c, &field, &item, depth + 1);
        if (st != REVOS_OK) {
            json_decref(obj);
            return st;
        }
        path_pop(c, mark);
        json_object_set_new(obj, name, item);
    }
    *out = obj;
    return REVOS_OK;
}

static revos_status array_to_json(conv *c, avro_value_t *v, json_t **out, int depth)
{
    size_t n;
    if (avro_value_get_size(v, &n) != 0)
        return avro_failure(c, "get size");
    json_t *arr = json_array();
    if (arr == NULL)
        return revos_fail(c->err, REVOS_ERR_FATAL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        avro_value_t child;
        json_t *item;
        if (avro_value_get_by_index(v, i, &child, NULL) != 0) {
            json_decref(arr);
            return avro_failure(c, "get item");
        }
        size_t mark = path_index(c, i);
        revos_status st = to_json(c, &child, &item, depth + 1);
        if (st != REVOS_OK) {
            json_decref(arr);
            return st;
        }
        path_pop(c, mark);
        json_array_append_new(arr, item);
    }
    *out = arr;
    return REVOS_OK;
}

static revos_status map_to_json(conv *c, avro_value_t *v, json_t **out, int depth)
{
    size_t n;
    if (avro_value_get_size(v, &n) != 0)
        return avro_failure(c, "get size");
    json_t *obj = json_object();
    if (obj == NULL)
        return revos_fail(c->err, REVOS_ERR_FATAL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        avro_value_t child;
        const char *key;
        json_t *item;
        if (avro_value_get_by_index(v, i, &child, &key) != 0) {
            json_decref(obj);
            return avro_failure(c, "get entry");
        }
        size_t mark = path_key(c, key);
        revos_status st = to_json(c, &child, &item, depth + 1);
        if (st != REVOS_OK) {
            json_decref(obj);
            return st;
        }
        if (json_object_set_new(obj, key, item) != 0) {
            json_decref(obj);
            return decode_fail(c, "map key is not valid UTF-8");
        }
        path_pop(c, mark);
    }
    *out = obj;
    return REVOS_OK;
}

static revos_status to_json(conv *c, avro_value_t *v, json_t **out, int depth)
{
    *out = NULL;
    if (depth > MAX_DEPTH)
        return decode_fail(c, "nested too deeply");
    json_t *j = NULL;
    switch (avro_value_get_type(v)) {
    case AVRO_STRING: {
        const char *s;
        size_t size;
        if (avro_value_get_string(v, &s, &size) != 0)
            return avro_failure(c, "get string");
        j = json_stringn(s, size > 0 ? size - 1 : 0);
        if (j == NULL)
            return decode_fail(c, "string is not valid UTF-8");
        break;
    }
    case AVRO_BYTES: {
        const void *buf;
        size_t size;
        if (avro_value_get_bytes(v, &buf, &size) != 0)
            return avro_failure(c, "get bytes");
        j = text_from_bytes(buf, size);
        break;
    }
    case AVRO_FIXED: {
        const void *buf;
        size_t size;
        if (avro_value_get_fixed(v, &buf, &size) != 0)
            return avro_failure(c, "get fixed");
        j = text_from_bytes(buf, size);
        break;
    }
    case AVRO_INT32: {
        int32_t i;
        if (avro_value_get_int(v, &i) != 0)
            return avro_failure(c, "get int");
        j = json_integer(i);
        break;
    }
    case AVRO_INT64: {
        int64_t l;
        if (avro_value_get_long(v, &l) != 0)
            return avro_failure(c, "get long");
        j = json_integer((json_int_t)l);
        break;
    }
    case AVRO_FLOAT:
    case AVRO_DOUBLE: {
        double d;
        float f;
        int rc = avro_value_get_type(v) == AVRO_FLOAT ? avro_value_get_float(v, &f)
                                                       : avro_value_get_double(v, &d);
        if (rc != 0)
            return avro_failure(c, "get number");
        if (avro_value_get_type(v) == AVRO_FLOAT)
            d = f;
        if (!isfinite(d))
            return decode_fail(c, "NaN or infinity cannot be represented in JSON");
        j = json_real(d);
        break;
    }
    case AVRO_BOOLEAN: {
        int b;
        if (avro_value_get_boolean(v, &b) != 0)
            return avro_failure(c, "get boolean");
        j = json_boolean(b);
        break;
    }
    case AVRO_NULL:
        j = json_null();
        break;
    case AVRO_ENUM: {
        int symbol;
        if (avro_value_get_enum(v, &symbol) != 0)
            return avro_failure(c, "get enum");
        const char *name = avro_schema_enum_get(avro_value_get_schema(v), symbol);
        if (name == NULL)
            return decode_fail(c, "enum index out of range");
        j = json_string(name);
        break;
    }
    case AVRO_UNION: {
        avro_value_t branch;
        if (avro_value_get_current_branch(v, &branch) != 0)
            return avro_failure(c, "get branch");
        return to_json(c, &branch, out, depth + 1);
    }
    case AVRO_RECORD:
        return record_to_json(c, v, out, depth);
    case AVRO_ARRAY:
        return array_to_json(c, v, out, depth);
    case AVRO_MAP:
        return map_to_json(c, v, out, depth);
    default:
        return revos_fail(c->err, REVOS_ERR_FATAL, "%s: unsupported Avro type %d", c->path,
                          (int)avro_value_get_type(v));
    }
    if (j == NULL)
        return revos_fail(c->err, REVOS_ERR_FATAL, "%s: out of memory", c->path);
    *out = j;
    return REVOS_OK;
}

/* ==== Bounded walk over an encoded body ==== */

typedef struct walk {
    const uint8_t *start, *p, *end;
    size_t items_left;
    const char *type_name;
    revos_err *err;
} walk;

static bool walk_fail(walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool walk_fail(walk *w, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    revos_reject(w->err, "decode", "%s: at body byte %zu: %s", w->type_name,
                 (size_t)(w->p - w->start), what);
    return false;
}

static size_t walk_left(const walk *w) { return (size_t)(w->end - w->p); }

/* A zig-zag varint of at most 10 bytes that fits in 64 bits. */
static bool walk_varint(walk *w, int64_t *out)
{
    uint64_t value = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (w->p >= w->end)
            return walk_fail(w, "truncated (varint)");
        uint8_t b = *w->p++;
        if (shift == 63 && (b & 0x7E) != 0)
            return walk_fail(w, "varint overflows 64 bits");
        value |= (uint64_t)(b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
            *out = (int64_t)(value >> 1) ^ -(int64_t)(value & 1);
            return true;
        }
    }
    return walk_fail(w, "varint longer than 10 bytes");
}

static bool walk_skip(walk *w, size_t n, const char *what)
{
    if (walk_left(w) < n)
        return walk_fail(w, "truncated (%s)", what);
    w->p += n;
    return true;
}

/* A length (string, bytes, block size): non-negative and no more than the
 * bytes that are left. */
static bool walk_length(walk *w, const char *what, size_t *out)
{
    int64_t len = 0;
    if (!walk_varint(w, &len))
        return false;
    if (len < 0)
        return walk_fail(w, "negative %s length %" PRId64, what, len);
    if ((uint64_t)len > walk_left(w))
        return walk_fail(w, "%s length %" PRId64 " exceeds the %zu bytes left", what, len,
                         walk_left(w));
    *out = (size_t)len;
    return true;
}

static bool walk_value(walk *w, avro_schema_t schema, int depth);

/* Array and map blocks: count, [byte size if count < 0], items; 0 ends. */
static bool walk_blocks(walk *w, avro_schema_t item, bool is_map, int depth)
{
    for (;;) {
        int64_t count;
        if (!walk_varint(w, &count))
            return false;
        if (count == 0)
            return true;
        size_t block_size = 0;
        bool sized = count < 0;
        if (sized) {
            if (count == INT64_MIN)
                return walk_fail(w, "block count out of range");
            count = -count;
            if (!walk_length(w, "block", &block_size))
                return false;
        }
        if ((uint64_t)count > w->items_left)
            return walk_fail(w, "block of %" PRId64 " items exceeds the item limit", count);
        w->items_left -= (size_t)count;
        const uint8_t *block_start = w->p;
        for (int64_t i = 0; i < count; i++) {
            if (is_map) {
                size_t key_len = 0;
                if (!walk_length(w, "map key", &key_len))
                    return false;
                if (memchr(w->p, '\0', key_len) != NULL)
                    return walk_fail(w, "map key contains NUL");
                w->p += key_len;
            }
            if (!walk_value(w, item, depth + 1))
                return false;
        }
        if (sized && (size_t)(w->p - block_start) != block_size)
            return walk_fail(w, "block size %zu does not match its items", block_size);
    }
}

static bool walk_value(walk *w, avro_schema_t schema, int depth)
{
    if (depth > MAX_DEPTH)
        return walk_fail(w, "nested too deeply");
    schema = resolve(schema);
    int64_t n;
    size_t len = 0;
    switch (avro_typeof(schema)) {
    case AVRO_NULL:
        return true;
    case AVRO_BOOLEAN:
        if (walk_left(w) < 1)
            return walk_fail(w, "truncated (boolean)");
        if (*w->p > 1)
            return walk_fail(w, "boolean byte 0x%02x", *w->p);
        w->p++;
        return true;
    case AVRO_INT32:
        if (!walk_varint(w, &n))
            return false;
        if (n < INT32_MIN || n > INT32_MAX)
            return walk_fail(w, "int out of range");
        return true;
    case AVRO_INT64:
        return walk_varint(w, &n);
    case AVRO_FLOAT:
        return walk_skip(w, 4, "float");
    case AVRO_DOUBLE:
        return walk_skip(w, 8, "double");
    case AVRO_STRING:
    case AVRO_BYTES:
        if (!walk_length(w, avro_typeof(schema) == AVRO_STRING ? "string" : "bytes", &len))
            return false;
        w->p += len;
        return true;
    case AVRO_FIXED:
        return walk_skip(w, (size_t)avro_schema_fixed_size(schema), "fixed");
    case AVRO_ENUM:
        if (!walk_varint(w, &n))
            return false;
        if (n < 0 || n >= avro_schema_enum_number_of_symbols(schema))
            return walk_fail(w, "enum index %" PRId64 " out of range", n);
        return true;
    case AVRO_UNION:
        if (!walk_varint(w, &n))
            return false;
        if (n < 0 || (uint64_t)n >= avro_schema_union_size(schema))
            return walk_fail(w, "union branch %" PRId64 " out of range", n);
        return walk_value(w, avro_schema_union_branch(schema, (int)n), depth + 1);
    case AVRO_RECORD:
        for (size_t i = 0; i < avro_schema_record_size(schema); i++)
            if (!walk_value(w, avro_schema_record_field_get_by_index(schema, (int)i), depth + 1))
                return false;
        return true;
    case AVRO_ARRAY:
        return walk_blocks(w, avro_schema_array_items(schema), false, depth);
    case AVRO_MAP:
        return walk_blocks(w, avro_schema_map_values(schema), true, depth);
    default:
        return walk_fail(w, "unsupported Avro type %d", (int)avro_typeof(schema));
    }
}

/* ==== Open and close ==== */

/* Pairs every record schema avro-c built with its JSON definition, walking
 * both trees in step (named references are links in avro-c, strings in
 * JSON, and lead nowhere new). */
static bool collect_records(codec_schema *cs, avro_schema_t schema, const json_t *j, int depth)
{
    if (depth > MAX_DEPTH || schema == NULL || j == NULL || avro_typeof(schema) == AVRO_LINK)
        return true;
    if (json_is_object(j) && !json_is_string(json_object_get(j, "type")))
        return collect_records(cs, schema, json_object_get(j, "type"), depth + 1);
    switch (avro_typeof(schema)) {
    case AVRO_RECORD: {
        const json_t *fields = json_object_get(j, "fields");
        record_fields *grown = realloc(cs->records, (cs->n_records + 1) * sizeof *grown);
        if (grown == NULL)
            return false;
        cs->records = grown;
        cs->records[cs->n_records++] = (record_fields){schema, fields};
        for (size_t i = 0; i < avro_schema_record_size(schema); i++)
            if (!collect_records(cs, avro_schema_record_field_get_by_index(schema, (int)i),
                                 json_object_get(json_array_get(fields, i), "type"), depth + 1))
                return false;
        return true;
    }
    case AVRO_ARRAY:
        return collect_records(cs, avro_schema_array_items(schema), json_object_get(j, "items"),
                               depth + 1);
    case AVRO_MAP:
        return collect_records(cs, avro_schema_map_values(schema), json_object_get(j, "values"),
                               depth + 1);
    case AVRO_UNION:
        for (size_t i = 0; i < avro_schema_union_size(schema); i++)
            if (!collect_records(cs, avro_schema_union_branch(schema, (int)i),
                                 json_array_get(j, i), depth + 1))
                return false;
        return true;
    default:
        return true;
    }
}

static revos_status load_schema(codec_schema *cs, revos_record_type type, revos_err *err)
{
    const char *name = revos_embedded_schemas[type].name;
    const char *text = revos_embedded_schemas[type].json;
    if (name == NULL || strcmp(name, type_names[type]) != 0)
        return revos_fail(err, REVOS_ERR_FATAL,
                          "embedded schema %d is %s, expected %s (schemas/CMakeLists.txt order)",
                          (int)type, name ? name : "missing", type_names[type]);
    if (avro_schema_from_json_length(text, strlen(text), &cs->schema) != 0) {
        cs->schema = NULL;
        return revos_fail(err, REVOS_ERR_FATAL, "schema %s: %s", name, avro_strerror());
    }
    cs->iface = avro_generic_class_from_schema(cs->schema);
    if (cs->iface == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "schema %s: %s", name, avro_strerror());
    if (avro_generic_value_new(cs->iface, &cs->value) != 0)
        return revos_fail(err, REVOS_ERR_FATAL, "schema %s: %s", name, avro_strerror());
    cs->has_value = true;
    json_error_t jerr;
    cs->json = json_loads(text, 0, &jerr);
    if (cs->json == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "schema %s: json: %s", name, jerr.text);
    revos_status st = revos_avro_canonical_form(text, &cs->canonical, err);
    if (st != REVOS_OK)
        return revos_wrap(err, REVOS_ERR_FATAL, name);
    cs->fingerprint = revos_avro_crc64(cs->canonical, strlen(cs->canonical));
    if (!collect_records(cs, cs->schema, cs->json, 0))
        return revos_fail(err, REVOS_ERR_FATAL, "schema %s: out of memory", name);
    return REVOS_OK;
}

revos_status revos_avro_open(revos_avro **out, const char *registry_url, revos_err *err)
{
    *out = NULL;
    revos_avro *codec = calloc(1, sizeof *codec);
    if (codec == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "avro: out of memory");
    revos_status st = REVOS_OK;
    for (int t = 0; t < REVOS_REC__COUNT && st == REVOS_OK; t++)
        st = load_schema(&codec->schemas[t], (revos_record_type)t, err);
    if (st == REVOS_OK && revos_embedded_schemas[REVOS_REC__COUNT].name != NULL)
        st = revos_fail(err, REVOS_ERR_FATAL, "embedded schema %s has no record type",
                        revos_embedded_schemas[REVOS_REC__COUNT].name);
    for (int a = 0; a < REVOS_REC__COUNT && st == REVOS_OK; a++)
        for (int b = a + 1; b < REVOS_REC__COUNT && st == REVOS_OK; b++)
            if (codec->schemas[a].fingerprint == codec->schemas[b].fingerprint)
                st = revos_fail(err, REVOS_ERR_FATAL, "schemas %s and %s share a fingerprint",
                                type_names[a], type_names[b]);
    if (st == REVOS_OK) {
        static const char empty[1] = "";
        codec->reader = avro_reader_memory(empty, 0);
        codec->writer = avro_writer_memory(empty, 0);
        if (codec->reader == NULL || codec->writer == NULL)
            st = revos_fail(err, REVOS_ERR_FATAL, "avro: out of memory");
    }
    if (st == REVOS_OK && registry_url != NULL && registry_url[0] != '\0')
        st = revos_avro_registry_open(&codec->registry, registry_url, err);
    if (st != REVOS_OK) {
        revos_avro_close(codec);
        return st;
    }
    *out = codec;
    return REVOS_OK;
}

void revos_avro_close(revos_avro *codec)
{
    if (codec == NULL)
        return;
    for (int t = 0; t < REVOS_REC__COUNT; t++) {
        codec_schema *cs = &codec->schemas[t];
        if (cs->has_value)
            avro_value_decref(&cs->value);
        if (cs->iface != NULL)
            avro_value_iface_decref(cs->iface);
        if (cs->schema != NULL)
            avro_schema_decref(cs->schema);
        json_decref(cs->json);
        free(cs->canonical);
        free(cs->records);
    }
    if (codec->reader != NULL)
        avro_reader_free(codec->reader);
    if (codec->writer != NULL)
        avro_writer_free(codec->writer);
    revos_avro_registry_close(codec->registry);
    for (size_t i = 0; i < codec->n_subjects; i++)
        free(codec->subjects[i].topic);
    free(codec->subjects);
    free(codec->ids);
    free(codec);
}

uint64_t revos_avro_fingerprint(const revos_avro *codec, revos_record_type type)
{
    return valid_type(type) ? codec->schemas[type].fingerprint : 0;
}

/* ==== Schema ids ==== */

static void remember_id(revos_avro *codec, int32_t id, int type)
{
    for (size_t i = 0; i < codec->n_ids; i++) {
        if (codec->ids[i].id == id) {
            codec->ids[i].type = type;
            return;
        }
    }
    if (codec->n_ids >= MAX_CACHED_IDS)
        return; /* still correct, only slower: the registry is asked again */
    id_entry *grown = realloc(codec->ids, (codec->n_ids + 1) * sizeof *grown);
    if (grown == NULL)
        return;
    codec->ids = grown;
    codec->ids[codec->n_ids++] = (id_entry){id, type};
}

/* The record type a Confluent schema id stands for. */
static revos_status type_of_id(revos_avro *codec, int32_t id, revos_record_type *type,
                               revos_err *err)
{
    for (size_t i = 0; i < codec->n_ids; i++) {
        if (codec->ids[i].id == id) {
            if (codec->ids[i].type < 0)
                return revos_reject(err, "decode", "unknown schema id %ld", (long)id);
            *type = (revos_record_type)codec->ids[i].type;
            return REVOS_OK;
        }
    }
    if (codec->registry == NULL)
        return revos_reject(err, "decode",
                            "unknown schema id %ld (no schema registry configured)", (long)id);
    char *text;
    revos_status st = revos_avro_registry_schema(codec->registry, id, &text, err);
    if (st != REVOS_OK)
        return st;
    char *canonical;
    revos_err canon_err;
    st = revos_avro_canonical_form(text, &canonical, &canon_err);
    free(text);
    if (st == REVOS_ERR_FATAL)
        return revos_fail(err, st, "%s", canon_err.msg);
    int found = -1;
    if (st == REVOS_OK) { /* a text that is no schema at all is simply not ours */
        for (int t = 0; t < REVOS_REC__COUNT && found < 0; t++)
            if (strcmp(canonical, codec->schemas[t].canonical) == 0)
                found = t;
        free(canonical);
    }
    remember_id(codec, id, found);
    if (found < 0)
        return revos_reject(err, "decode", "unknown schema id %ld: not one of our schemas",
                            (long)id);
    *type = (revos_record_type)found;
    return REVOS_OK;
}

/* The id our schema for type has under "<topic>-value", registering it on
 * first use. */
static revos_status id_for_topic(revos_avro *codec, revos_record_type type, const char *topic,
                                 int32_t *id, revos_err *err)
{
    if (topic == NULL || topic[0] == '\0')
        return revos_fail(err, REVOS_ERR_FATAL, "avro: a topic is required with a schema registry");
    for (size_t i = 0; i < codec->n_subjects; i++) {
        if (codec->subjects[i].type == type && strcmp(codec->subjects[i].topic, topic) == 0) {
            *id = codec->subjects[i].id;
            return REVOS_OK;
        }
    }
    size_t n = strlen(topic);
    char *subject = malloc(n + sizeof "-value");
    if (subject == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "avro: out of memory");
    memcpy(subject, topic, n);
    memcpy(subject + n, "-value", sizeof "-value");
    revos_status st = revos_avro_registry_register(codec->registry, subject,
                                                   revos_embedded_schemas[type].json, id, err);
    free(subject);
    if (st != REVOS_OK)
        return st;
    remember_id(codec, *id, (int)type);
    subject_entry *grown = realloc(codec->subjects, (codec->n_subjects + 1) * sizeof *grown);
    char *topic_copy = malloc(n + 1);
    if (grown != NULL)
        codec->subjects = grown;
    if (grown == NULL || topic_copy == NULL) {
        free(topic_copy);
        return REVOS_OK; /* not cached; registering again is harmless */
    }
    memcpy(topic_copy, topic, n + 1);
    codec->subjects[codec->n_subjects++] = (subject_entry){topic_copy, type, *id};
    return REVOS_OK;
}

/* ==== Encode and decode ==== */

revos_status revos_avro_encode(revos_avro *codec, revos_record_type type, const char *topic,
                               const json_t *record, uint8_t **out, size_t *out_len,
                               revos_err *err)
{
    *out = NULL;
    *out_len = 0;
    if (!valid_type(type))
        return revos_fail(err, REVOS_ERR_FATAL, "avro: invalid record type %d", (int)type);
    codec_schema *cs = &codec->schemas[type];
    if (avro_value_reset(&cs->value) != 0)
        return revos_fail(err, REVOS_ERR_FATAL, "avro: reset: %s", avro_strerror());
    conv c = {.cs = cs, .err = err};
    path_start(&c, type);
    if (record == NULL)
        return revos_reject(err, "validation", "%s: no record", type_names[type]);
    revos_status st = set_value(&c, &cs->value, record, 0);
    if (st != REVOS_OK)
        return st;
    size_t body_len;
    if (avro_value_sizeof(&cs->value, &body_len) != 0)
        return revos_fail(err, REVOS_ERR_FATAL, "avro: sizeof: %s", avro_strerror());
    size_t header_len = codec->registry != NULL ? CONFLUENT_HEADER : SINGLE_OBJECT_HEADER;
    if (body_len > REVOS_AVRO_MAX_RECORD - header_len)
        return revos_reject(err, "oversized", "%s: encoded record of %zu bytes exceeds %d",
                            type_names[type], body_len + header_len, REVOS_AVRO_MAX_RECORD);
    uint8_t header[SINGLE_OBJECT_HEADER];
    if (codec->registry != NULL) {
        int32_t id;
        st = id_for_topic(codec, type, topic, &id, err);
        if (st != REVOS_OK)
            return st;
        header[0] = 0x00;
        for (int i = 0; i < 4; i++)
            header[1 + i] = (uint8_t)((uint32_t)id >> (24 - 8 * i));
    } else {
        header[0] = 0xC3;
        header[1] = 0x01;
        for (int i = 0; i < 8; i++)
            header[2 + i] = (uint8_t)(cs->fingerprint >> (8 * i));
    }
    uint8_t *buf = malloc(header_len + body_len);
    if (buf == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "avro: out of memory");
    memcpy(buf, header, header_len);
    avro_writer_memory_set_dest(codec->writer, (const char *)buf + header_len, (int64_t)body_len);
    if (avro_value_write(codec->writer, &cs->value) != 0 ||
        avro_writer_tell(codec->writer) != (int64_t)body_len) {
        free(buf);
        return revos_fail(err, REVOS_ERR_FATAL, "avro: write %s: %s", type_names[type],
                          avro_strerror());
    }
    *out = buf;
    *out_len = header_len + body_len;
    return REVOS_OK;
}

static revos_status read_frame(revos_avro *codec, const uint8_t *data, size_t len,
                               revos_record_type *type, size_t *header_len, revos_err *err)
{
    if (len == 0)
        return revos_reject(err, "decode", "empty record");
    if (data[0] == 0xC3) {
        if (len < SINGLE_OBJECT_HEADER)
            return revos_reject(err, "decode", "truncated single-object header (%zu bytes)", len);
        if (data[1] != 0x01)
            return revos_reject(err, "decode", "bad single-object marker 0xC3 0x%02X", data[1]);
        uint64_t fp = 0;
        for (int i = 0; i < 8; i++)
            fp |= (uint64_t)data[2 + i] << (8 * i);
        for (int t = 0; t < REVOS_REC__COUNT; t++) {
            if (codec->schemas[t].fingerprint == fp) {
                *type = (revos_record_type)t;
                *header_len = SINGLE_OBJECT_HEADER;
                return REVOS_OK;
            }
        }
        return revos_reject(err, "decode", "unknown schema fingerprint 0x%016" PRIx64, fp);
    }
    if (data[0] == 0x00) {
        if (len < CONFLUENT_HEADER)
            return revos_reject(err, "decode", "truncated Confluent header (%zu bytes)", len);
        uint32_t raw = (uint32_t)data[1] << 24 | (uint32_t)data[2] << 16 |
                       (uint32_t)data[3] << 8 | data[4];
        if (raw > INT32_MAX)
            return revos_reject(err, "decode", "invalid schema id %" PRIu32, raw);
        *header_len = CONFLUENT_HEADER;
        return type_of_id(codec, (int32_t)raw, type, err);
    }
    return revos_reject(err, "decode", "bad magic byte 0x%02X (neither Confluent 0x00 nor "
                                       "single-object 0xC3 0x01)", data[0]);
}

revos_status revos_avro_decode(revos_avro *codec, revos_record_type expected,
                               const uint8_t *data, size_t len, json_t **out, revos_err *err)
{
    *out = NULL;
    if (!valid_type(expected))
        return revos_fail(err, REVOS_ERR_FATAL, "avro: invalid record type %d", (int)expected);
    if (len > REVOS_AVRO_MAX_RECORD)
        return revos_reject(err, "decode", "record of %zu bytes exceeds %d", len,
                            REVOS_AVRO_MAX_RECORD);
    if (data == NULL && len > 0)
        return revos_fail(err, REVOS_ERR_FATAL, "avro: no data");
    revos_record_type type = REVOS_REC__COUNT;
    size_t header_len = 0;
    revos_status st = read_frame(codec, data, len, &type, &header_len, err);
    if (st != REVOS_OK)
        return st;
    if (type != expected)
        return revos_reject(err, "decode", "expected %s, got %s", type_names[expected],
                            type_names[type]);
    codec_schema *cs = &codec->schemas[type];
    const uint8_t *body = data + header_len;
    size_t body_len = len - header_len;
    walk w = {body, body, body + body_len, MAX_ITEMS, type_names[type], err};
    if (!walk_value(&w, cs->schema, 0))
        return REVOS_ERR_INPUT;
    if (w.p != w.end)
        return revos_reject(err, "decode", "%s: %zu trailing bytes after the record",
                            type_names[type], (size_t)(w.end - w.p));
    avro_reader_memory_set_source(codec->reader, (const char *)body, (int64_t)body_len);
    if (avro_value_read(codec->reader, &cs->value) != 0)
        return revos_reject(err, "decode", "%s: %s", type_names[type], avro_strerror());
    conv c = {.cs = cs, .err = err};
    path_start(&c, type);
    return to_json(&c, &cs->value, out, 0);
}
