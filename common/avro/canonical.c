/* canonical.c -- Avro Parsing Canonical Form and the CRC-64-AVRO fingerprint.
 *
 * Two schemas that read and write the same bytes have the same Parsing
 * Canonical Form, so its fingerprint names a schema in single-object
 * encoding, and comparing forms tells whether a schema fetched from a
 * registry is one of ours. The transformation follows the specification
 * ("Transforming into Parsing Canonical Form") and agrees with the Java
 * reference implementation (SchemaNormalization):
 *
 *   PRIMITIVES  {"type":"int"} becomes "int"; a primitive carrying other
 *               attributes (e.g. logicalType) also becomes its bare name,
 *               since STRIP removes everything else;
 *   FULLNAMES   names and type references become full names, following
 *               the namespace rules (a dotted name is full; else the
 *               "namespace" attribute; else the enclosing named type's);
 *   STRIP       only type, name, fields, symbols, items, values, size stay;
 *   ORDER       name, type, fields, symbols, items, values, size;
 *   STRINGS     literal UTF-8, only the escapes JSON requires;
 *   INTEGERS    no leading zeros (printed from the parsed integer);
 *   WHITESPACE  none outside strings.
 *
 * The form is written straight into a growing buffer while walking the
 * jansson tree; nothing here touches avro-c. */
#include "avro/avro_codec.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Nesting bound: a schema from the registry is input too. */
#define CANON_MAX_DEPTH 64

/* ==== CRC-64-AVRO ==== */

#define CRC64_AVRO_EMPTY UINT64_C(0xc15d213aa4d7a795)

uint64_t revos_avro_crc64(const void *data, size_t len)
{
    /* Table-free form of the specification's fingerprint64: the table entry
     * for a byte is the byte's value shifted through eight rounds of the
     * polynomial, which is exactly what the inner loop does. */
    const uint8_t *p = data;
    uint64_t fp = CRC64_AVRO_EMPTY;
    for (size_t i = 0; i < len; i++) {
        uint64_t t = (fp ^ p[i]) & 0xff;
        for (int j = 0; j < 8; j++)
            t = (t >> 1) ^ (CRC64_AVRO_EMPTY & (0 - (t & 1)));
        fp = (fp >> 8) ^ t;
    }
    return fp;
}

/* ==== Output buffer ==== */

typedef struct canon_buf {
    char *data;
    size_t len, cap;
    bool oom;
} canon_buf;

static void put(canon_buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *grown = realloc(b->data, cap);
        if (grown == NULL) {
            b->oom = true;
            return;
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void puts_raw(canon_buf *b, const char *s) { put(b, s, strlen(s)); }

/* A JSON string literal: UTF-8 kept as is, only '"', '\\' and control
 * characters escaped. */
static void put_string(canon_buf *b, const char *s, size_t n)
{
    put(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(b, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            put(b, esc, 6);
        } else {
            put(b, (const char *)&s[i], 1);
        }
    }
    put(b, "\"", 1);
}

/* ==== Names ==== */

static bool is_primitive(const char *name)
{
    static const char *const primitives[] = {"null", "boolean", "int",    "long",
                                             "float", "double", "bytes", "string"};
    for (size_t i = 0; i < sizeof primitives / sizeof primitives[0]; i++)
        if (strcmp(name, primitives[i]) == 0)
            return true;
    return false;
}

/* Walk state: the named types defined so far (a jansson object used as a
 * set) so a short reference can fall back to the null namespace as the Java
 * implementation does, and the first error. */
typedef struct canon_ctx {
    canon_buf out;
    json_t *defined;
    revos_err *err;
    bool failed;
} canon_ctx;

static void canon_error(canon_ctx *ctx, const char *what, const char *detail)
{
    if (!ctx->failed)
        revos_reject(ctx->err, "decode", "schema: %s%s%s", what, detail ? ": " : "",
                     detail ? detail : "");
    ctx->failed = true;
}

/* Full name of name in namespace ns (NULL or "" for the null namespace).
 * Returns a malloc'd string. */
static char *make_fullname(const char *name, const char *ns)
{
    size_t n = strlen(name);
    if (strchr(name, '.') != NULL || ns == NULL || ns[0] == '\0') {
        char *full = malloc(n + 1);
        if (full != NULL)
            memcpy(full, name, n + 1);
        return full;
    }
    size_t m = strlen(ns);
    char *full = malloc(m + 1 + n + 1);
    if (full != NULL) {
        memcpy(full, ns, m);
        full[m] = '.';
        memcpy(full + m + 1, name, n + 1);
    }
    return full;
}

/* The namespace a full name gives its nested definitions: everything
 * before the last dot, or "" (null namespace). malloc'd. */
static char *namespace_of(const char *fullname)
{
    const char *dot = strrchr(fullname, '.');
    size_t n = dot ? (size_t)(dot - fullname) : 0;
    char *ns = malloc(n + 1);
    if (ns != NULL) {
        memcpy(ns, fullname, n);
        ns[n] = '\0';
    }
    return ns;
}

/* A type reference by name: primitive, or a named type already defined. */
static void canon_reference(canon_ctx *ctx, const char *name, const char *ns)
{
    if (is_primitive(name)) {
        put_string(&ctx->out, name, strlen(name));
        return;
    }
    char *full = make_fullname(name, ns);
    if (full == NULL) {
        ctx->out.oom = true;
        return;
    }
    if (json_object_get(ctx->defined, full) == NULL && strchr(name, '.') == NULL &&
        json_object_get(ctx->defined, name) != NULL) {
        free(full);
        put_string(&ctx->out, name, strlen(name));
        return;
    }
    if (json_object_get(ctx->defined, full) == NULL)
        canon_error(ctx, "unknown type", name);
    put_string(&ctx->out, full, strlen(full));
    free(full);
}

static void canon_node(canon_ctx *ctx, const json_t *node, const char *ns, int depth);

/* Defines a named type (record, error, enum, fixed): returns its full name
 * (malloc'd) after writing {"name":"<full>","type":"<kind>" */
static char *canon_named_head(canon_ctx *ctx, const json_t *node, const char *kind,
                              const char *ns)
{
    const char *name = json_string_value(json_object_get(node, "name"));
    if (name == NULL || name[0] == '\0') {
        canon_error(ctx, "named type without a name", kind);
        return NULL;
    }
    const json_t *space = json_object_get(node, "namespace");
    if (space != NULL && !json_is_string(space) && !json_is_null(space)) {
        canon_error(ctx, "namespace is not a string", name);
        return NULL;
    }
    const char *own_ns = json_is_string(space) ? json_string_value(space) : ns;
    char *full = make_fullname(name, own_ns);
    if (full == NULL) {
        ctx->out.oom = true;
        return NULL;
    }
    if (json_object_get(ctx->defined, full) != NULL) {
        canon_error(ctx, "type defined twice", full);
        free(full);
        return NULL;
    }
    json_object_set_new(ctx->defined, full, json_true());
    puts_raw(&ctx->out, "{\"name\":");
    put_string(&ctx->out, full, strlen(full));
    puts_raw(&ctx->out, ",\"type\":");
    put_string(&ctx->out, kind, strlen(kind));
    return full;
}

static void canon_record(canon_ctx *ctx, const json_t *node, const char *kind, const char *ns,
                         int depth)
{
    char *full = canon_named_head(ctx, node, kind, ns);
    if (full == NULL)
        return;
    char *inner_ns = namespace_of(full);
    free(full);
    if (inner_ns == NULL) {
        ctx->out.oom = true;
        return;
    }
    const json_t *fields = json_object_get(node, "fields");
    if (!json_is_array(fields)) {
        canon_error(ctx, "record without a fields array", NULL);
        free(inner_ns);
        return;
    }
    puts_raw(&ctx->out, ",\"fields\":[");
    size_t i;
    const json_t *field;
    json_array_foreach(fields, i, field) {
        const char *fname = json_string_value(json_object_get(field, "name"));
        const json_t *ftype = json_object_get(field, "type");
        if (fname == NULL || ftype == NULL) {
            canon_error(ctx, "field without a name or type", NULL);
            break;
        }
        if (i > 0)
            puts_raw(&ctx->out, ",");
        puts_raw(&ctx->out, "{\"name\":");
        put_string(&ctx->out, fname, strlen(fname));
        puts_raw(&ctx->out, ",\"type\":");
        canon_node(ctx, ftype, inner_ns, depth + 1);
        puts_raw(&ctx->out, "}");
    }
    puts_raw(&ctx->out, "]}");
    free(inner_ns);
}

static void canon_enum(canon_ctx *ctx, const json_t *node, const char *ns)
{
    char *full = canon_named_head(ctx, node, "enum", ns);
    if (full == NULL)
        return;
    free(full);
    const json_t *symbols = json_object_get(node, "symbols");
    if (!json_is_array(symbols)) {
        canon_error(ctx, "enum without a symbols array", NULL);
        return;
    }
    puts_raw(&ctx->out, ",\"symbols\":[");
    size_t i;
    const json_t *sym;
    json_array_foreach(symbols, i, sym) {
        if (!json_is_string(sym)) {
            canon_error(ctx, "enum symbol is not a string", NULL);
            return;
        }
        if (i > 0)
            puts_raw(&ctx->out, ",");
        put_string(&ctx->out, json_string_value(sym), json_string_length(sym));
    }
    puts_raw(&ctx->out, "]}");
}

static void canon_fixed(canon_ctx *ctx, const json_t *node, const char *ns)
{
    char *full = canon_named_head(ctx, node, "fixed", ns);
    if (full == NULL)
        return;
    free(full);
    const json_t *size = json_object_get(node, "size");
    if (!json_is_integer(size) || json_integer_value(size) < 0) {
        canon_error(ctx, "fixed without a non-negative integer size", NULL);
        return;
    }
    char num[32];
    snprintf(num, sizeof num, ",\"size\":%" JSON_INTEGER_FORMAT "}", json_integer_value(size));
    puts_raw(&ctx->out, num);
}

static void canon_object(canon_ctx *ctx, const json_t *node, const char *ns, int depth)
{
    const json_t *type = json_object_get(node, "type");
    if (type == NULL) {
        canon_error(ctx, "object without a type", NULL);
        return;
    }
    if (!json_is_string(type)) {
        /* {"type": {...}} or {"type": [...]}: the inner schema is the type. */
        canon_node(ctx, type, ns, depth + 1);
        return;
    }
    const char *kind = json_string_value(type);
    if (is_primitive(kind)) {
        put_string(&ctx->out, kind, strlen(kind));
    } else if (strcmp(kind, "record") == 0 || strcmp(kind, "error") == 0) {
        canon_record(ctx, node, kind, ns, depth);
    } else if (strcmp(kind, "enum") == 0) {
        canon_enum(ctx, node, ns);
    } else if (strcmp(kind, "fixed") == 0) {
        canon_fixed(ctx, node, ns);
    } else if (strcmp(kind, "array") == 0) {
        const json_t *items = json_object_get(node, "items");
        if (items == NULL) {
            canon_error(ctx, "array without items", NULL);
            return;
        }
        puts_raw(&ctx->out, "{\"type\":\"array\",\"items\":");
        canon_node(ctx, items, ns, depth + 1);
        puts_raw(&ctx->out, "}");
    } else if (strcmp(kind, "map") == 0) {
        const json_t *values = json_object_get(node, "values");
        if (values == NULL) {
            canon_error(ctx, "map without values", NULL);
            return;
        }
        puts_raw(&ctx->out, "{\"type\":\"map\",\"values\":");
        canon_node(ctx, values, ns, depth + 1);
        puts_raw(&ctx->out, "}");
    } else {
        canon_reference(ctx, kind, ns);
    }
}

static void canon_node(canon_ctx *ctx, const json_t *node, const char *ns, int depth)
{
    if (ctx->failed || ctx->out.oom)
        return;
    if (depth > CANON_MAX_DEPTH) {
        canon_error(ctx, "nested too deeply", NULL);
        return;
    }
    if (json_is_string(node)) {
        canon_reference(ctx, json_string_value(node), ns);
    } else if (json_is_array(node)) {
        puts_raw(&ctx->out, "[");
        size_t i;
        const json_t *branch;
        json_array_foreach(node, i, branch) {
            if (i > 0)
                puts_raw(&ctx->out, ",");
            canon_node(ctx, branch, ns, depth + 1);
        }
        puts_raw(&ctx->out, "]");
    } else if (json_is_object(node)) {
        canon_object(ctx, node, ns, depth);
    } else {
        canon_error(ctx, "a schema must be a string, array or object", NULL);
    }
}

/* ==== Entry point ==== */

revos_status revos_avro_canonical_form(const char *schema_json, char **out, revos_err *err)
{
    *out = NULL;
    json_error_t jerr;
    json_t *root = json_loads(schema_json, JSON_DECODE_ANY, &jerr);
    if (root == NULL)
        return revos_reject(err, "decode", "schema: json: %s at line %d column %d", jerr.text,
                            jerr.line, jerr.column);
    canon_ctx ctx = {.defined = json_object(), .err = err};
    if (ctx.defined == NULL) {
        json_decref(root);
        return revos_fail(err, REVOS_ERR_FATAL, "schema: out of memory");
    }
    canon_node(&ctx, root, "", 0);
    json_decref(ctx.defined);
    json_decref(root);
    if (ctx.failed) {
        free(ctx.out.data);
        return REVOS_ERR_INPUT;
    }
    if (ctx.out.oom || ctx.out.data == NULL) {
        free(ctx.out.data);
        return revos_fail(err, REVOS_ERR_FATAL, "schema: out of memory");
    }
    *out = ctx.out.data;
    return REVOS_OK;
}
