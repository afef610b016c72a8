/* Signed prekey rotation and lookup; see prekeys.c. */
#ifndef ENL_CORE_PREKEYS_H
#define ENL_CORE_PREKEYS_H

#include "core/profile.h"

/* Rotates the prekey when due and deletes retired ones past their grace. */
int enl_prekey_maintain(enl_profile *p);
/* The prekey with this id, current or retired within its grace period. */
int enl_prekey_find(enl_profile *p, uint32_t id, uint8_t pk[32], uint8_t sk[32]);

#endif
