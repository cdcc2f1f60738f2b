#ifndef KEYHOLD_COPENSSL_SHIM_H
#define KEYHOLD_COPENSSL_SHIM_H
/* Every OpenSSL include lives here. The 1.x RSA_* / EC_KEY_* API is hidden: keyhold uses EVP + params only. */
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED 1
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <openssl/obj_mac.h>
#include <openssl/encoder.h>
#include <openssl/decoder.h>

/* Function-like macros do not import into Swift; these wrap them. */
static inline void keyhold_OPENSSL_free(void *p) { OPENSSL_free(p); }
static inline long keyhold_BIO_get_mem_data(BIO *b, char **pp) { return BIO_get_mem_data(b, pp); }
static inline EVP_PKEY *keyhold_EVP_RSA_gen(unsigned int bits) { return EVP_RSA_gen(bits); }
static inline EVP_PKEY *keyhold_EVP_EC_gen(const char *curve) { return EVP_EC_gen(curve); }
/* Selection masks for EVP_PKEY_fromdata are composite macros. */
static inline int keyhold_EVP_PKEY_KEYPAIR(void) { return EVP_PKEY_KEYPAIR; }
static inline int keyhold_EVP_PKEY_PUBLIC_KEY(void) { return EVP_PKEY_PUBLIC_KEY; }
#endif
