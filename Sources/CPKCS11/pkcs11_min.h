/*
 * The subset of the PKCS #11 Cryptographic Token Interface that keyhold-pkcs11-helper calls, written from
 * "PKCS #11 Cryptographic Token Interface Base Specification Version 2.40" (OASIS Standard, 14 April 2015):
 * the basic types of §3, the structures of §3.1–3.6, the function list of §5.2 and the constants of §4 and §6
 * (RSA §2.1 and ECDSA §2.3 of the Current Mechanisms Specification 2.40).
 *
 * CK_FUNCTION_LIST is declared only up to C_Sign: the helper never reads a later member, and a provider's table is
 * at least that long. Members it does not call are untyped pointers so that their slots keep their size.
 * On Linux a CK_ULONG is a C `unsigned long` and structures have natural alignment (the spec's "packing" note
 * applies to Windows only).
 */
#ifndef KEYHOLD_PKCS11_MIN_H
#define KEYHOLD_PKCS11_MIN_H

#include <dlfcn.h>

typedef unsigned char CK_BYTE;
typedef unsigned char CK_BBOOL;
typedef unsigned char CK_UTF8CHAR;
typedef unsigned long CK_ULONG;
typedef CK_ULONG CK_RV;
typedef CK_ULONG CK_FLAGS;
typedef CK_ULONG CK_SLOT_ID;
typedef CK_ULONG CK_SESSION_HANDLE;
typedef CK_ULONG CK_OBJECT_HANDLE;
typedef CK_ULONG CK_OBJECT_CLASS;
typedef CK_ULONG CK_KEY_TYPE;
typedef CK_ULONG CK_ATTRIBUTE_TYPE;
typedef CK_ULONG CK_MECHANISM_TYPE;
typedef CK_ULONG CK_USER_TYPE;

typedef struct CK_VERSION {
  CK_BYTE major;
  CK_BYTE minor;
} CK_VERSION;

typedef struct CK_TOKEN_INFO {
  CK_UTF8CHAR label[32];
  CK_UTF8CHAR manufacturerID[32];
  CK_UTF8CHAR model[16];
  CK_BYTE serialNumber[16];
  CK_FLAGS flags;
  CK_ULONG ulMaxSessionCount;
  CK_ULONG ulSessionCount;
  CK_ULONG ulMaxRwSessionCount;
  CK_ULONG ulRwSessionCount;
  CK_ULONG ulMaxPinLen;
  CK_ULONG ulMinPinLen;
  CK_ULONG ulTotalPublicMemory;
  CK_ULONG ulFreePublicMemory;
  CK_ULONG ulTotalPrivateMemory;
  CK_ULONG ulFreePrivateMemory;
  CK_VERSION hardwareVersion;
  CK_VERSION firmwareVersion;
  CK_BYTE utcTime[16];
} CK_TOKEN_INFO;

typedef struct CK_ATTRIBUTE {
  CK_ATTRIBUTE_TYPE type;
  void *pValue;
  CK_ULONG ulValueLen;
} CK_ATTRIBUTE;

typedef struct CK_MECHANISM {
  CK_MECHANISM_TYPE mechanism;
  void *pParameter;
  CK_ULONG ulParameterLen;
} CK_MECHANISM;

typedef struct CK_FUNCTION_LIST CK_FUNCTION_LIST;

/* §5.2: the members in the specification's order, here up to and including C_Sign. */
struct CK_FUNCTION_LIST {
  CK_VERSION version;
  CK_RV (*C_Initialize)(void *pInitArgs);
  CK_RV (*C_Finalize)(void *pReserved);
  void *C_GetInfo;
  CK_RV (*C_GetFunctionList)(CK_FUNCTION_LIST **ppFunctionList);
  CK_RV (*C_GetSlotList)(CK_BBOOL tokenPresent, CK_SLOT_ID *pSlotList, CK_ULONG *pulCount);
  void *C_GetSlotInfo;
  CK_RV (*C_GetTokenInfo)(CK_SLOT_ID slotID, CK_TOKEN_INFO *pInfo);
  void *C_GetMechanismList;
  void *C_GetMechanismInfo;
  void *C_InitToken;
  void *C_InitPIN;
  void *C_SetPIN;
  CK_RV (*C_OpenSession)(CK_SLOT_ID slotID, CK_FLAGS flags, void *pApplication, void *Notify,
                         CK_SESSION_HANDLE *phSession);
  CK_RV (*C_CloseSession)(CK_SESSION_HANDLE hSession);
  void *C_CloseAllSessions;
  void *C_GetSessionInfo;
  void *C_GetOperationState;
  void *C_SetOperationState;
  CK_RV (*C_Login)(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR *pPin, CK_ULONG ulPinLen);
  CK_RV (*C_Logout)(CK_SESSION_HANDLE hSession);
  void *C_CreateObject;
  void *C_CopyObject;
  void *C_DestroyObject;
  void *C_GetObjectSize;
  CK_RV (*C_GetAttributeValue)(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE *pTemplate,
                               CK_ULONG ulCount);
  void *C_SetAttributeValue;
  CK_RV (*C_FindObjectsInit)(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE *pTemplate, CK_ULONG ulCount);
  CK_RV (*C_FindObjects)(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE *phObject, CK_ULONG ulMaxObjectCount,
                         CK_ULONG *pulObjectCount);
  CK_RV (*C_FindObjectsFinal)(CK_SESSION_HANDLE hSession);
  void *C_EncryptInit;
  void *C_Encrypt;
  void *C_EncryptUpdate;
  void *C_EncryptFinal;
  void *C_DecryptInit;
  void *C_Decrypt;
  void *C_DecryptUpdate;
  void *C_DecryptFinal;
  void *C_DigestInit;
  void *C_Digest;
  void *C_DigestUpdate;
  void *C_DigestKey;
  void *C_DigestFinal;
  CK_RV (*C_SignInit)(CK_SESSION_HANDLE hSession, CK_MECHANISM *pMechanism, CK_OBJECT_HANDLE hKey);
  CK_RV (*C_Sign)(CK_SESSION_HANDLE hSession, CK_BYTE *pData, CK_ULONG ulDataLen, CK_BYTE *pSignature,
                  CK_ULONG *pulSignatureLen);
};

typedef CK_RV (*CK_C_GetFunctionList)(CK_FUNCTION_LIST **ppFunctionList);

/* Return values (§4.1 / table 10). */
#define CKR_OK 0x00UL
#define CKR_ARGUMENTS_BAD 0x07UL
#define CKR_ATTRIBUTE_SENSITIVE 0x11UL
#define CKR_ATTRIBUTE_TYPE_INVALID 0x12UL
#define CKR_PIN_INCORRECT 0xA0UL
#define CKR_PIN_INVALID 0xA1UL
#define CKR_PIN_LEN_RANGE 0xA2UL
#define CKR_PIN_EXPIRED 0xA3UL
#define CKR_PIN_LOCKED 0xA4UL
#define CKR_USER_ALREADY_LOGGED_IN 0x100UL
#define CKR_BUFFER_TOO_SMALL 0x150UL
#define CKR_CRYPTOKI_ALREADY_INITIALIZED 0x191UL

/* Booleans, users, session and token flags (§3.3, §3.4). */
#define CK_TRUE 1
#define CK_FALSE 0
#define CKU_USER 1UL
#define CKU_CONTEXT_SPECIFIC 2UL
#define CKF_RW_SESSION 0x02UL
#define CKF_SERIAL_SESSION 0x04UL
#define CKF_LOGIN_REQUIRED 0x04UL
#define CKF_USER_PIN_INITIALIZED 0x08UL
#define CKF_PROTECTED_AUTHENTICATION_PATH 0x100UL
#define CKF_TOKEN_INITIALIZED 0x400UL

/* Object classes, key types and attributes (§4.2–4.9). */
#define CKO_PUBLIC_KEY 0x02UL
#define CKO_PRIVATE_KEY 0x03UL
#define CKK_RSA 0x00UL
#define CKK_EC 0x03UL
#define CKA_CLASS 0x000UL
#define CKA_LABEL 0x003UL
#define CKA_KEY_TYPE 0x100UL
#define CKA_ID 0x102UL
#define CKA_SIGN 0x108UL
#define CKA_MODULUS 0x120UL
#define CKA_PUBLIC_EXPONENT 0x122UL
#define CKA_EC_PARAMS 0x180UL
#define CKA_EC_POINT 0x181UL
#define CKA_ALWAYS_AUTHENTICATE 0x202UL

/* Mechanisms (Current Mechanisms Specification 2.40, §2.1.6 and §2.3.6). */
#define CKM_RSA_PKCS 0x0001UL
#define CKM_ECDSA 0x1041UL

/* CK_UNAVAILABLE_INFORMATION: an attribute C_GetAttributeValue could not return. */
#define CK_UNAVAILABLE_INFORMATION (~0UL)

#endif
