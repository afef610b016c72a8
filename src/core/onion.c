/*
 * The profile's onion service and a card that says where to reach it; see
 * onion.h. The onion key is only ever in sodium_malloc'd memory or in the
 * encrypted store, and is wiped from every buffer it passed through.
 */
#include "core/onion.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport/tcp.h"
#include "transport/torctl.h"
#include "util/bytes.h"
#include "util/secmem.h"

#define RECORD_BYTES (1 + 2 + ENL_ONION_KEYBYTES + ENL_ONION_ID_LEN)

struct enl_onion {
    enl_torctl ctl;
    char id[ENL_ONION_ID_LEN + 1];
    int added;
};

typedef struct {
    uint16_t port;
    uint8_t key[ENL_ONION_KEYBYTES];
    char id[ENL_ONION_ID_LEN + 1];
} record;

static int record_load(enl_profile *p, record *r)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    enl_rd rd;
    int rc = enl_store_secret_get(p->st, ENL_ONION_SLOT, &buf, &len);

    if (rc != ENL_OK) return rc;
    rd = enl_rd_init(buf, len);
    if (len != RECORD_BYTES || enl_rd_u8(&rd) != ENL_ONION_RECORD_VERSION) {
        rc = enl_fail(p, ENL_ESTORE, "the stored onion service record is damaged");
    } else {
        r->port = enl_rd_u16(&rd);
        enl_rd_bytes(&rd, r->key, sizeof r->key);
        enl_rd_bytes(&rd, (uint8_t *)r->id, ENL_ONION_ID_LEN);
        r->id[ENL_ONION_ID_LEN] = '\0';
        if (rd.err || r->port == 0 || !enl_onion_id_valid(r->id, ENL_ONION_ID_LEN))
            rc = enl_fail(p, ENL_ESTORE, "the stored onion service record is damaged");
    }
    enl_store_free(buf, len);
    return rc;
}

static int record_save(enl_profile *p, const record *r)
{
    uint8_t buf[RECORD_BYTES];
    enl_wr w = enl_wr_init(buf, sizeof buf);
    int rc;

    enl_wr_u8(&w, ENL_ONION_RECORD_VERSION);
    enl_wr_u16(&w, r->port);
    enl_wr_bytes(&w, r->key, sizeof r->key);
    enl_wr_bytes(&w, (const uint8_t *)r->id, ENL_ONION_ID_LEN);
    rc = w.err ? ENL_EINVAL : enl_store_secret_put(p->st, ENL_ONION_SLOT, buf, w.len);
    sodium_memzero(buf, sizeof buf);
    return rc;
}

int enl_onion_address(enl_profile *p, char *out, size_t max)
{
    record *r = sodium_malloc(sizeof *r);
    int rc, n;

    if (r == NULL) return ENL_ENOMEM;
    rc = record_load(p, r);
    if (rc == ENL_ENOTFOUND)
        rc = enl_fail(p, rc, "this profile has no onion service yet: run 'enlace listen --onion' once");
    if (rc == ENL_OK) {
        n = snprintf(out, max, "tor://%s.onion:%u", r->id, (unsigned)r->port);
        if (n < 0 || (size_t)n >= max) rc = ENL_EBUFSIZE;
    }
    sodium_free(r);
    return rc;
}

int enl_link_address_valid(const char *address)
{
    char host[256], port[16];
    size_t n;
    int tor = strncmp(address, "tor://", 6) == 0;

    if (!tor && strncmp(address, "tcp://", 6) != 0) return 0;
    if (enl_tcp_split(address + 6, host, sizeof host, port, sizeof port) != ENL_OK ||
        strtoul(port, NULL, 10) == 0)
        return 0;
    n = strlen(host);
    return !tor || (n > 6 && strcmp(host + n - 6, ".onion") == 0 && enl_onion_id_valid(host, n - 6));
}

int enl_profile_card_address(enl_profile *p, const char *address, char **card_text)
{
    char *t;
    int rc;

    /* An address nobody can sync with, in a card handed out for 90 days,
     * would only show when a contact tries it. */
    if (address != NULL && *address && !enl_link_address_valid(address))
        return enl_fail(p, ENL_EINVAL, "not an address a contact can sync with: %s (tcp://HOST:PORT "
                                       "or tor://ADDRESS.onion:PORT, PORT 1 to 65535)", address);
    if ((t = malloc(ENL_CARD_TEXTMAX)) == NULL) return ENL_ENOMEM;
    rc = enl_card_make(t, ENL_CARD_TEXTMAX, p->id, p->name, address, enl_now());
    if (rc == ENL_EINVAL)
        rc = enl_fail(p, rc, "a card address holds at most %d printable characters, no spaces",
                      ENL_ADDRESS_MAX);
    if (rc != ENL_OK) {
        enl_free_wiped(t, ENL_CARD_TEXTMAX);    /* what of my card was written */
        return rc;
    }
    *card_text = t;
    return ENL_OK;
}

static int add(enl_profile *p, enl_onion *o, record *r, int have, const char *target)
{
    uint8_t *fresh = sodium_malloc(ENL_ONION_KEYBYTES);
    int rc;

    if (fresh == NULL) return ENL_ENOMEM;
    rc = enl_torctl_add_onion(&o->ctl, have ? r->key : NULL, r->port, target, o->id, fresh);
    if (rc != ENL_OK) {
        rc = enl_fail(p, rc, "%s", o->ctl.err);
        goto out;
    }
    o->added = 1;
    if (have && strcmp(o->id, r->id) != 0) {
        rc = enl_fail(p, ENL_EPROTO, "tor published %s.onion for the stored key of %s.onion",
                      o->id, r->id);
        goto out;
    }
    if (!have) {
        memcpy(r->key, fresh, ENL_ONION_KEYBYTES);
        memcpy(r->id, o->id, sizeof r->id);
        if ((rc = record_save(p, r)) != ENL_OK)
            rc = enl_fail(p, rc, "cannot keep the onion service's key in the profile: %s",
                          enl_store_errmsg(p->st));
    }
out:
    sodium_free(fresh);
    return rc;
}

int enl_onion_publish(enl_profile *p, enl_onion **out, const enl_onion_opts *t, const char *target,
                      char address[ENL_ADDRESS_MAX + 1])
{
    const char *control = t->control != NULL ? t->control : ENL_TOR_CONTROL_DEFAULT;
    char host[256], port[16];
    record *r = sodium_malloc(sizeof *r);
    enl_onion *o = sodium_malloc(sizeof *o);
    int rc, have;

    /* o is made safe to remove before anything can fail: the clean-up
     * below must not read what sodium_malloc left in it. */
    if (o != NULL) {
        memset(o, 0, sizeof *o);
        o->ctl.fd = -1;
    }
    if (r == NULL || o == NULL) { rc = ENL_ENOMEM; goto out; }
    if (enl_tcp_split(control, host, sizeof host, port, sizeof port) != ENL_OK) {
        rc = enl_fail(p, ENL_EINVAL, "not a control port address: %s (HOST:PORT)", control);
        goto out;
    }
    rc = record_load(p, r);
    if (rc != ENL_OK && rc != ENL_ENOTFOUND) goto out;
    have = rc == ENL_OK;
    if (!have) r->port = ENL_ONION_PORT;
    rc = enl_torctl_connect(&o->ctl, host, port, ENL_TOR_TIMEOUT_MS);
    if (rc == ENL_OK) rc = enl_torctl_authenticate(&o->ctl, t->password);
    if (rc != ENL_OK) {
        rc = enl_fail(p, rc, "%s", o->ctl.err);
        goto out;
    }
    if ((rc = add(p, o, r, have, target)) != ENL_OK) goto out;
    snprintf(address, ENL_ADDRESS_MAX + 1, "tor://%s.onion:%u", o->id, (unsigned)r->port);
    *out = o;
    o = NULL;
out:
    if (r != NULL) sodium_free(r);
    enl_onion_remove(o);
    return rc;
}

int enl_onion_check(enl_profile *p, enl_onion *o)
{
    int rc = enl_torctl_alive(&o->ctl);
    if (rc != ENL_OK)
        return enl_fail(p, rc, "tor stopped (%s): the onion service is gone; start tor again, "
                               "then enlace listen --onion", o->ctl.err);
    return ENL_OK;
}

void enl_onion_remove(enl_onion *o)
{
    if (o == NULL) return;
    if (o->added && o->ctl.fd >= 0 && enl_torctl_del_onion(&o->ctl, o->id) != ENL_OK) {
        /* Closing the control connection removes it all the same. */
    }
    enl_torctl_close(&o->ctl);
    sodium_free(o);
}
