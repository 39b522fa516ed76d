/* GnuTLS hashing and HMAC: already linked through libmicrohttpd, so no new dependency. */
#ifndef SWITCHBOARD_CGNUTLS_SHIM_H
#define SWITCHBOARD_CGNUTLS_SHIM_H
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#endif
