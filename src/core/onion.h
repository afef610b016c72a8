/*
 * The profile's onion service: published through tor's control port for as
 * long as `listen --onion` runs. Its key lives in the store's "onion" slot,
 * encrypted under the profile key like every other secret, so the address
 * stays the same from one run to the next:
 *
 *   version u8 (1) | virtual port u16 | tor's ED25519-V3 key [64] | service id [56]
 */
#ifndef ENL_CORE_ONION_H
#define ENL_CORE_ONION_H

#include "core/profile.h"

#define ENL_ONION_SLOT          "onion"
#define ENL_ONION_RECORD_VERSION 1
#define ENL_TOR_CONTROL_DEFAULT "127.0.0.1:9051"
#define ENL_TOR_TIMEOUT_MS      30000

typedef struct enl_onion enl_onion;

/* Publishes target ("HOST:PORT", where the listener is bound) as the
 * profile's onion service; address gets "tor://ID.onion:PORT". Failures
 * are explained in enl_profile_errmsg. */
int enl_onion_publish(enl_profile *p, enl_onion **out, const enl_onion_opts *t, const char *target,
                      char address[ENL_ADDRESS_MAX + 1]) __attribute__((warn_unused_result));
/* ENL_OK while tor keeps the control connection (and so the service). */
int enl_onion_check(enl_profile *p, enl_onion *o);
/* DEL_ONION, closes the control connection, wipes. NULL is a no-op. */
void enl_onion_remove(enl_onion *o);

/* 1 when address is one a sync can reach: tcp://HOST:PORT or
 * tor://ID.onion:PORT (a v3 id), PORT 1 to 65535; else 0. */
int enl_link_address_valid(const char *address);

#endif
