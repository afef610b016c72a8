/* Names every ENL_E* code: the CLI prints these after "enlace: ". */
#include "enlace.h"

#include <sodium.h>

const char *enl_strerror(int code)
{
    switch (code) {
    case ENL_OK: return "success";
    case ENL_EINVAL: return "invalid argument";
    case ENL_ENOMEM: return "out of memory";
    case ENL_EMALFORMED: return "malformed input";
    case ENL_ECHECKSUM: return "checksum does not match (a copying mistake?)";
    case ENL_ESIG: return "signature does not verify (tampered?)";
    case ENL_EEXPIRED: return "expired";
    case ENL_ETOOBIG: return "too large";
    case ENL_EDECRYPT: return "authentication failed (damaged or tampered)";
    case ENL_ENOTFORME: return "not addressed to this profile";
    case ENL_EPASSPHRASE: return "wrong passphrase";
    case ENL_EEXISTS: return "already exists";
    case ENL_ENOTFOUND: return "not found";
    case ENL_EIO: return "input/output error";
    case ENL_ESTORE: return "profile database error";
    case ENL_EVERSION: return "unsupported version";
    case ENL_EDUPLICATE: return "already received (duplicate or replay)";
    case ENL_ECRYPTO: return "cryptographic failure";
    case ENL_ENOPROFILE: return "no profile here (run: enlace init --name NAME)";
    case ENL_ESELF: return "that is this profile's own card";
    case ENL_EPROTO: return "protocol violation by the peer";
    case ENL_ETIMEOUT: return "timed out";
    case ENL_ENET: return "network error";
    case ENL_EREFUSED: return "refused: peer not allowed";
    case ENL_EBUFSIZE: return "buffer too small";
    case ENL_EPURGED: return "already delivered and purged";
    case ENL_EFUTURE: return "dated too far in the future";
    case ENL_EFULL: return "the store is full (quota reached)";
    case ENL_EBUSY: return "busy: try again later";
    case ENL_EPEERFAIL: return "the other device failed on its side";
    default: return "unknown error";
    }
}

int enl_init(void)
{
    return sodium_init() < 0 ? ENL_ECRYPTO : ENL_OK;
}

int enl_refusal_is_final(int code)
{
    switch (code) {
    case ENL_EMALFORMED: case ENL_ECHECKSUM: case ENL_ESIG: case ENL_EEXPIRED:
    case ENL_EDECRYPT: case ENL_EDUPLICATE: case ENL_EPURGED: case ENL_ECRYPTO:
    case ENL_EREFUSED:
        return 1;
    default:
        return 0;
    }
}
