/* domain.h -- the company domain behind a website URL or an email address,
 * and email addresses in the one form used as an id (trimmed, lower-case).
 *
 * A domain is ASCII letters, digits and hyphens in dot-separated labels, at
 * least two labels, the last not all digits (so IP addresses and "localhost"
 * yield nothing), at most 253 bytes. Anything else yields "no domain": a
 * malformed website or email in a CRM record is not worth rejecting the
 * record for, it just cannot resolve an account. Pure functions. */
#ifndef REVOS_INGEST_DOMAIN_H
#define REVOS_INGEST_DOMAIN_H

#include <stddef.h>

#define REVOS_INGEST_DOMAIN_MAX 254 /* bytes, including the NUL */
#define REVOS_INGEST_EMAIL_MAX 255  /* bytes, including the NUL */

/* "https://www.Acme.com:443/pricing?x=1" -> "acme.com"; also accepts a bare
 * host ("www.acme.com", "acme.com/path"). A leading "www." is dropped.
 * Returns 0 and writes out (REVOS_INGEST_DOMAIN_MAX bytes), or -1. */
int revos_ingest_domain_from_url(const char *text, size_t len, char *out);

/* " Peter@Example.COM " -> "example.com". Returns 0 or -1 like the above. */
int revos_ingest_domain_from_email(const char *text, size_t len, char *out);

/* " Peter@Example.COM " -> "peter@example.com" (out: REVOS_INGEST_EMAIL_MAX
 * bytes). Returns -1 unless text is local@domain with a valid domain. */
int revos_ingest_email_normalize(const char *text, size_t len, char *out);

#endif
