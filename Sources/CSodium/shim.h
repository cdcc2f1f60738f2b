#ifndef KEYHOLD_CSODIUM_SHIM_H
#define KEYHOLD_CSODIUM_SHIM_H
#include <sodium.h>
#endif
