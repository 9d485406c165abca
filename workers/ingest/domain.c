/* domain.c -- see domain.h. */
#include "ingest/domain.h"

#include <string.h>

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static void trim(const char **text, size_t *len)
{
    while (*len > 0 && is_space(**text)) {
        (*text)++;
        (*len)--;
    }
    while (*len > 0 && is_space((*text)[*len - 1]))
        (*len)--;
}

/* Validates host[0..len) as a domain and writes it lower-cased to out. */
static int domain_copy(const char *host, size_t len, char *out)
{
    if (len > 0 && host[len - 1] == '.') /* fully qualified "acme.com." */
        len--;
    if (len == 0 || len >= REVOS_INGEST_DOMAIN_MAX)
        return -1;
    size_t labels = 0, start = 0;
    int all_digits = 1; /* of the current (in the end: the last) label */
    for (size_t i = 0; i <= len; i++) {
        if (i == len || host[i] == '.') {
            size_t n = i - start;
            if (n == 0 || n > 63 || host[start] == '-' || host[i - 1] == '-')
                return -1;
            labels++;
            if (i < len) {
                out[i] = '.';
                start = i + 1;
                all_digits = 1;
            }
            continue;
        }
        char c = lower(host[i]);
        int digit = c >= '0' && c <= '9';
        if (!(digit || (c >= 'a' && c <= 'z') || c == '-'))
            return -1;
        if (!digit)
            all_digits = 0;
        out[i] = c;
    }
    if (labels < 2 || all_digits)
        return -1;
    out[len] = '\0';
    return 0;
}

int revos_ingest_domain_from_url(const char *text, size_t len, char *out)
{
    if (text == NULL)
        return -1;
    trim(&text, &len);
    const char *scheme = NULL;
    for (size_t i = 0; i + 2 < len; i++) {
        if (text[i] == ':' && text[i + 1] == '/' && text[i + 2] == '/') {
            scheme = text + i + 3;
            break;
        }
        if (text[i] == '/' || text[i] == '?' || text[i] == '#')
            break;
    }
    if (scheme != NULL) {
        len -= (size_t)(scheme - text);
        text = scheme;
    } else if (len >= 2 && text[0] == '/' && text[1] == '/') {
        text += 2;
        len -= 2;
    }
    size_t host_len = 0;
    while (host_len < len && text[host_len] != '/' && text[host_len] != '?' && text[host_len] != '#')
        host_len++;
    /* user:password@host */
    for (size_t i = host_len; i > 0; i--) {
        if (text[i - 1] == '@') {
            text += i;
            host_len -= i;
            break;
        }
    }
    if (host_len > 0 && text[0] == '[') /* IPv6 literal */
        return -1;
    for (size_t i = 0; i < host_len; i++) {
        if (text[i] == ':') { /* port */
            host_len = i;
            break;
        }
    }
    if (host_len > 4 && lower(text[0]) == 'w' && lower(text[1]) == 'w' && lower(text[2]) == 'w' &&
        text[3] == '.') {
        char tmp[REVOS_INGEST_DOMAIN_MAX];
        if (domain_copy(text + 4, host_len - 4, tmp) == 0) {
            memcpy(out, tmp, strlen(tmp) + 1);
            return 0;
        }
    }
    return domain_copy(text, host_len, out);
}

/* Splits an email at its last '@'; -1 unless both sides are non-empty and
 * the local part has no whitespace. */
static int email_split(const char **text, size_t *len, size_t *at)
{
    if (*text == NULL)
        return -1;
    trim(text, len);
    size_t i = *len;
    while (i > 0 && (*text)[i - 1] != '@')
        i--;
    if (i <= 1 || i == *len)
        return -1;
    for (size_t j = 0; j + 1 < i; j++)
        if (is_space((*text)[j]) || (*text)[j] == '\0')
            return -1;
    *at = i - 1;
    return 0;
}

int revos_ingest_domain_from_email(const char *text, size_t len, char *out)
{
    size_t at;
    if (email_split(&text, &len, &at) != 0)
        return -1;
    return domain_copy(text + at + 1, len - at - 1, out);
}

int revos_ingest_email_normalize(const char *text, size_t len, char *out)
{
    size_t at;
    char domain[REVOS_INGEST_DOMAIN_MAX];
    if (email_split(&text, &len, &at) != 0 || len >= REVOS_INGEST_EMAIL_MAX)
        return -1;
    if (domain_copy(text + at + 1, len - at - 1, domain) != 0)
        return -1;
    for (size_t i = 0; i < at; i++)
        out[i] = lower(text[i]);
    out[at] = '@';
    memcpy(out + at + 1, domain, strlen(domain) + 1);
    return 0;
}
